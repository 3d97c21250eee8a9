"""The run's SSH master, opened while ansible-playbook starts.

Before its first task connects, ansible-playbook spends about half a second importing,
reading its config and parsing the inventory and the play. The connection it then opens
(key exchange, host key check, login through the run's agent) costs another 0.1 to 0.2 s,
all of it on the run's critical path. Fixline opens the run's ControlMaster itself, at the
same time as Ansible starts: the first task's ssh then finds the master's socket (the same
ControlPath, ControlMaster=auto) and only opens a channel on it.

The master is started exactly as Ansible's own would be (the run's ssh_args: its pinned
host keys, its agent, no user config) toward the address, port and user Ansible will use.
Those are read from the run's copy of the inventory (inventory_target); a host whose
connection they cannot tell for sure (templated values, another connection type, extra ssh
arguments) gets no early master. Should the guess still differ from Ansible's, Ansible's
ssh finds no socket for its destination and opens its own master, as without this: the
early one then only cost a connection. Either way the master carries the run's marker and
goes with the run's other processes (kill_run_processes).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runner_api.playbooks.child import RunChild
from runner_api.playbooks.config import CONNECT_TIMEOUT_S

# Host variables that change how Ansible connects in ways an early master would not copy.
_UNSURE_VARS = (
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
    "ansible_ssh_args",
    "ansible_ssh_executable",
    "ansible_ssh_host",
    "ansible_ssh_port",
    "ansible_ssh_user",
    "ansible_control_path",
    "ansible_control_path_dir",
)


@dataclass(frozen=True)
class SshTarget:
    """Where Ansible's ssh connects for one inventory host."""

    address: str
    port: int | None  # None: ssh's default, as Ansible leaves it
    user: str


def inventory_target(inventory_dir: Path, host: str, default_user: str) -> SshTarget | None:
    """The address, port and user of `host` in the run's YAML inventory, or None when they
    cannot be told for sure from it.

    Ansible's order for the variables read here, lowest first: the groups' vars of hosts.yml
    (outer groups before inner ones), group_vars/, the host's own entry, host_vars/.
    """
    layers: list[Mapping[str, Any]] = []
    for path in sorted(inventory_dir.glob("hosts.y*ml")):
        chain = _group_chain(yaml.safe_load(path.read_text()), host)
        if chain is not None:
            groups, own = chain
            layers += [vars_ for _, vars_ in groups]
            group_files = [_vars_file(inventory_dir / "group_vars", g) for g, _ in groups]
            if any(found is None for found in group_files):
                return None
            layers += [found for found in group_files if found]
            layers.append(own)
    host_file = _vars_file(inventory_dir / "host_vars", host)
    if not layers or host_file is None:
        return None
    layers.append(host_file)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    return _target(merged, host, default_user)


def _target(merged: Mapping[str, Any], host: str, default_user: str) -> SshTarget | None:
    if merged.get("ansible_connection", "ssh") != "ssh":
        return None
    if any(name in merged for name in _UNSURE_VARS):
        return None
    address, port, user = (
        merged.get("ansible_host", host),
        merged.get("ansible_port"),
        merged.get("ansible_user", default_user),
    )
    if not isinstance(address, str) or not isinstance(user, str):
        return None
    if "{" in address + user or address.startswith("-") or user.startswith("-"):
        return None  # a template Ansible would render, or not an address at all
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        return None
    return SshTarget(address, port, user)


def _group_chain(
    node: Any, host: str, path: tuple[tuple[str, Mapping[str, Any]], ...] = ()
) -> tuple[list[tuple[str, Mapping[str, Any]]], Mapping[str, Any]] | None:
    """The groups leading to `host` in a YAML inventory (outermost first, with their vars)
    and the host's own entry; None when it is not there."""
    if not isinstance(node, dict):
        return None
    for name, group in node.items():
        if not isinstance(group, dict):
            continue
        vars_ = group.get("vars") or {}
        chain = (*path, (str(name), vars_ if isinstance(vars_, dict) else {}))
        hosts = group.get("hosts")
        if isinstance(hosts, dict) and host in hosts:
            return list(chain), hosts[host] or {}
        found = _group_chain(group.get("children"), host, chain)
        if found is not None:
            return found
    return None


def _vars_file(folder: Path, name: str) -> Mapping[str, Any] | None:
    """The variables of group_vars/<name>[.yml] or host_vars/<name>[.yml]: {} when there
    are none, None when they are in a form not read here (a folder of files, JSON, ...)."""
    if not folder.exists():
        return {}
    found = [p for p in folder.iterdir() if p.stem == name or p.name == name]
    if not found:
        return {}
    if len(found) > 1 or found[0].suffix not in ("", ".yml", ".yaml") or not found[0].is_file():
        return None
    loaded = yaml.safe_load(found[0].read_text()) or {}
    return loaded if isinstance(loaded, dict) else None


class EarlyMaster:
    """One ssh ControlMaster, in the foreground of a process of its own; stop() reaps it.

    Not left to ControlPersist as Ansible's masters are: ssh would then detach and write its
    title over its environment, and this one keeps both (the run's marker finds it).
    Should Ansible's ssh have been first, this one cannot bind the socket and goes on as a
    plain idle connection until the run's end kills it.
    """

    def __init__(self, ssh_args: str, target: SshTarget, env: Mapping[str, str]) -> None:
        # First value wins in ssh: ours before the run's ssh_args (ControlMaster=auto and
        # ControlPersist there).
        argv = ["ssh", "-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=no"]
        argv += ["-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}", *shlex.split(ssh_args)]
        argv += ["-o", f"User={target.user}"]
        if target.port is not None:
            argv += ["-o", f"Port={target.port}"]
        self._ssh = RunChild([*argv, "--", target.address], env)

    def start(self) -> None:
        self._ssh.start()

    def stop(self) -> None:
        """Kill the master if it still runs (the run's end usually did) and reap it."""
        self._ssh.stop()
