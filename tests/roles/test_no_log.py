"""Every task that touches a secret has `no_log: true`, and secrets reach roles only through
variables their argument specs mark `no_log` (read from the files, no lab needed).

A role's secrets are the options its meta/argument_specs.yml marks no_log; a playbook hands
them over with the `fixline_secret` lookup. Mentions inside `when` only decide whether a
task runs (the value is not printed), so they do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
LOOKUP = "fixline_secret"
_NOT_ARGUMENTS = {"name", "when", "import_tasks", "include_tasks", "tags"}


def _secret_options(role: Path) -> set[str]:
    specs = role / "meta" / "argument_specs.yml"
    if not specs.exists():
        return set()
    entry_points = yaml.safe_load(specs.read_text())["argument_specs"].values()
    return {
        name
        for entry in entry_points
        for name, option in (entry.get("options") or {}).items()
        if option.get("no_log")
    }


def _tasks(items: Any) -> Iterator[dict[str, Any]]:
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for section in ("block", "rescue", "always"):
            yield from _tasks(task.get(section))


def _touches(task: dict[str, Any], secrets: set[str]) -> bool:
    text = yaml.safe_dump({k: v for k, v in task.items() if k not in _NOT_ARGUMENTS})
    names = [*sorted(secrets), LOOKUP]
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def _roles() -> list[Path]:
    return sorted(path for path in (PROJECT / "roles").iterdir() if path.is_dir())


@pytest.mark.parametrize("role", _roles(), ids=lambda path: path.name)
def test_every_task_touching_a_secret_has_no_log(role: Path) -> None:
    secrets = _secret_options(role)
    unlogged = []
    for folder in ("tasks", "handlers"):
        for path in sorted((role / folder).glob("*.yml")):
            for task in _tasks(yaml.safe_load(path.read_text())):
                if _touches(task, secrets) and task.get("no_log") is not True:
                    unlogged.append(f"{path.relative_to(PROJECT)}: {task.get('name')}")
    assert unlogged == []


def _plays() -> list[Path]:
    return sorted((PROJECT / "playbooks").glob("*.yml"))


@pytest.mark.parametrize("playbook", _plays(), ids=lambda path: path.stem)
def test_playbooks_hand_secrets_only_to_no_log_role_variables(playbook: Path) -> None:
    wrong = []
    for play in yaml.safe_load(playbook.read_text()):
        for entry in play.get("roles") or []:
            role = PROJECT / "roles" / entry["role"]
            secret_options = _secret_options(role)
            for name, value in (entry.get("vars") or {}).items():
                if LOOKUP in str(value) and name not in secret_options:
                    wrong.append(f"{entry['role']}: {name}")
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task in _tasks(play.get(section)):
                if _touches(task, set()) and task.get("no_log") is not True:
                    wrong.append(f"task {task.get('name')}")
    assert wrong == []


def test_the_secret_roles_are_found() -> None:
    # The checks above are not empty: these roles do take secrets.
    assert {"cert_install_key_pem", "cert_install_pfx_password"} <= _secret_options(
        PROJECT / "roles" / "cert_install"
    )
    assert _secret_options(PROJECT / "roles" / "smoke_check") == {"smoke_check_secret"}
