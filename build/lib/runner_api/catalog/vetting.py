"""Pins of vetted playbooks: sha256 of each playbook, of every file beside the playbooks
that Ansible loads with them (plugins such as lookup_plugins/fixline_secret.py, vars), and
of every file of the roles it uses.

A run copies exactly the pinned files into its private folder and checks the copies, so
what runs is what was vetted, even if the project folder changes meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from runner_api.errors import ConfigurationError, NotVettedError

LOCK_VERSION = 1
_ROLE_TASK_MODULES = {
    "import_role",
    "include_role",
    "ansible.builtin.import_role",
    "ansible.builtin.include_role",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files_in(folder: Path) -> list[Path]:
    """Every file under folder, sorted; bytecode caches (Python writes them) left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.relative_to(folder).parts
    )


def _beside_playbooks(project_dir: Path) -> list[Path]:
    """Files in folders next to the playbooks (lookup_plugins/, library/, group_vars/ ...).

    Ansible loads them for any playbook of the folder, so every playbook pins all of them.
    """
    folder = project_dir / "playbooks"
    return [path for sub in sorted(folder.iterdir()) if sub.is_dir() for path in _files_in(sub)]


def _role_names_in_tasks(tasks: Any) -> set[str]:
    names: set[str] = set()
    if not isinstance(tasks, list):
        return names
    for task in tasks:
        if not isinstance(task, dict):
            continue
        for key, value in task.items():
            if key in _ROLE_TASK_MODULES and isinstance(value, dict) and "name" in value:
                names.add(str(value["name"]))
            if key in ("block", "rescue", "always"):
                names |= _role_names_in_tasks(value)
    return names


def _roles_of_play(play: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for entry in play.get("roles", []) or []:
        if isinstance(entry, str):
            names.add(entry)
        elif isinstance(entry, dict):
            names.add(str(entry.get("role") or entry.get("name")))
    for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
        names |= _role_names_in_tasks(play.get(section))
    return names


def _role_dependencies(role_dir: Path) -> set[str]:
    meta = role_dir / "meta" / "main.yml"
    if not meta.exists():
        return set()
    data = yaml.safe_load(meta.read_text()) or {}
    names: set[str] = set()
    for dep in data.get("dependencies", []) or []:
        names.add(dep if isinstance(dep, str) else str(dep.get("role") or dep.get("name")))
    return names


def playbook_files(project_dir: Path, playbook: str) -> list[str]:
    """The playbook, the files beside it and every file of the roles it uses (transitively),
    relative, sorted."""
    rel = f"playbooks/{playbook}.yml"
    path = project_dir / rel
    if not path.is_file():
        raise ConfigurationError(f"playbook file missing: {rel}")
    plays = yaml.safe_load(path.read_text()) or []
    pending: set[str] = set()
    for play in plays:
        if isinstance(play, dict):
            pending |= _roles_of_play(play)
    seen: set[str] = set()
    files = [
        rel,
        *(file.relative_to(project_dir).as_posix() for file in _beside_playbooks(project_dir)),
    ]
    while pending:
        role = pending.pop()
        if role in seen:
            continue
        seen.add(role)
        role_dir = project_dir / "roles" / role
        if not role_dir.is_dir():
            raise ConfigurationError(f"playbook {rel} uses role {role!r}, not found in roles/")
        files.extend(file.relative_to(project_dir).as_posix() for file in _files_in(role_dir))
        pending |= _role_dependencies(role_dir)
    return sorted(files)


@dataclass(frozen=True)
class VettedPlaybook:
    action: str
    playbook: str
    files: dict[str, str]
    vetted_by: str
    vetted_at: str


class VettingLock:
    """The lock file (vetting.lock.json at the project's top) and the checks against it."""

    def __init__(self, project_dir: Path, lock_path: Path | None = None) -> None:
        self.project_dir = project_dir
        self.path = lock_path or project_dir / "vetting.lock.json"
        self._write_lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": LOCK_VERSION, "actions": {}}
        data: dict[str, Any] = json.loads(self.path.read_text())
        return data

    def entry(self, action: str) -> VettedPlaybook | None:
        """The pin of one action, None when it was never vetted."""
        raw = self._load()["actions"].get(action)
        if raw is None:
            return None
        return VettedPlaybook(action=action, **raw)

    def changes(self, action: str, playbook: str, root: Path | None = None) -> list[str]:
        """Files that differ from the pin (changed, added or removed); empty when vetted."""
        entry = self.entry(action)
        base = root or self.project_dir
        if entry is None:
            return ["(never vetted)"]
        current = playbook_files(self.project_dir, playbook) if root is None else None
        names = set(entry.files) | set(current or entry.files)
        changed = []
        for name in sorted(names):
            path = base / name
            if name not in entry.files or not path.is_file() or _sha256(path) != entry.files[name]:
                changed.append(name)
        return changed

    def verify(self, action: str, playbook: str, root: Path | None = None) -> None:
        """Raise NotVettedError naming the changed files unless the pin matches."""
        changed = self.changes(action, playbook, root)
        if changed:
            raise NotVettedError(
                f"playbook of {action!r} is not vetted in its current form "
                f"(changed: {', '.join(changed)}); review it, then run "
                f"`fixline vet {action} --by NAME`",
                changed=changed,
            )

    def stage(self, action: str, playbook: str, dest: Path) -> None:
        """Copy exactly the pinned files into dest and verify the copies."""
        entry = self.entry(action)
        if entry is None:
            self.verify(action, playbook)
            return
        for name in entry.files:
            source = self.project_dir / name
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_file():
                shutil.copyfile(source, target)
        self.verify(action, playbook)
        self.verify(action, playbook, root=dest)

    def vet(self, action: str, playbook: str, by: str) -> VettedPlaybook:
        """Pin the current files of an action's playbook, recording who vetted them and when."""
        if not by.strip():
            raise ConfigurationError("vetting needs the name of the person who reviewed it")
        files = {
            name: _sha256(self.project_dir / name)
            for name in playbook_files(self.project_dir, playbook)
        }
        entry = VettedPlaybook(
            action=action,
            playbook=playbook,
            files=files,
            vetted_by=by.strip(),
            vetted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._write_lock:
            data = self._load()
            data["actions"][action] = {
                "playbook": entry.playbook,
                "files": entry.files,
                "vetted_by": entry.vetted_by,
                "vetted_at": entry.vetted_at,
            }
            data["actions"] = dict(sorted(data["actions"].items()))
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
            os.replace(tmp, self.path)
        return entry
