"""The ansible.cfg and environment of one run: pinned host keys, private temp dirs, no retries."""

from __future__ import annotations

import shlex

import psutil

from runner_api.playbooks.workspace import Workspace

# The marker every process of a run inherits, so the whole tree can be found and killed.
RUN_MARKER_ENV = "FIXLINE_RUN_ID"
# And the process that started the run ("<pid>:<start time>"): when it is gone, the run's
# processes are orphans that the next Fixline process on the host kills (process_tree).
RUN_OWNER_ENV = "FIXLINE_RUN_OWNER"
# Where the `fixline_secret` lookup finds the run's secret server (same name in the plugin).
SECRETS_SOCKET_ENV = "FIXLINE_SECRETS_SOCKET"
# Debian targets; inventories set ansible_python_interpreter per host where it differs.
# Interpreter discovery is avoided on purpose: it picks broken pyenv shims on some hosts.
DEFAULT_INTERPRETER = "/usr/bin/python3"
# Long enough to reuse the connection between tasks; the masters are killed after the run.
CONTROL_PERSIST_S = 60
CONNECT_TIMEOUT_S = 10
# The shell plugin under which a pipelined module dies with its SSH channel
# (remote_kill_shell.py, staged beside each run's playbooks).
REMOTE_KILL_SHELL = "fixline_sh"
# Per host, in extra vars: POSIX hosts get the remote-kill shell; WinRM/PSRP hosts keep
# PowerShell; any other host names its own shell in `fixline_shell_type`. (Extra vars win
# over inventory vars, so a plain ansible_shell_type there would be overridden.)
_SHELL_TYPE_TEMPLATE = (
    "{{ fixline_shell_type | default('powershell' if (ansible_connection | default('ssh'))"
    f" is search('winrm|psrp') else '{REMOTE_KILL_SHELL}') }}}}"
)


def ssh_args(ws: Workspace) -> str:
    """OpenSSH options: only the pinned host keys, only the run's agent, no user config."""
    options = [
        "-F",
        "/dev/null",
        "-o",
        "ControlMaster=auto",
        "-o",
        f"ControlPersist={CONTROL_PERSIST_S}s",
        # Named here rather than left to Ansible (which then adds none of its own): the
        # early master (early_master.py) must bind the very socket Ansible's ssh looks for.
        # %C: ssh's hash of the local host, address, port and user (and ProxyJump).
        "-o",
        f"ControlPath={ws.control_path_dir}/%C",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={ws.known_hosts}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        # Never fall back to ~/.ssh/id_* of the service account: one customer, one key.
        "-o",
        "IdentityFile=none",
        "-o",
        f"IdentityAgent={ws.agent_socket}",
        "-o",
        "ServerAliveInterval=15",
    ]
    return shlex.join(options)


def ansible_cfg(ws: Workspace, run_id: str, remote_user: str, pipelining: bool) -> str:
    """The run's ansible.cfg text."""
    # Ansible reads its ini values raw (no interpolation): ssh_args' "%C" reaches ssh as is.
    return "\n".join(
        [
            "[defaults]",
            f"inventory = {ws.inventory_dir}",
            f"roles_path = {ws.project_dir / 'roles'}",
            f"remote_user = {remote_user}",
            f"interpreter_python = {DEFAULT_INTERPRETER}",
            "host_key_checking = True",
            "retry_files_enabled = False",
            # No fact gathering unless a play asks for it (gather_facts: true).
            "gathering = explicit",
            f"local_tmp = {ws.local_tmp}",
            f"remote_tmp = ~/.ansible/tmp/fixline-{run_id}",
            "nocolor = True",
            f"timeout = {CONNECT_TIMEOUT_S}",
            # ansible busy-polls its result queue; 5 ms keeps parallel runs from starving cores.
            "internal_poll_interval = 0.005",
            "",
            "[ssh_connection]",
            f"pipelining = {pipelining}",
            f"control_path_dir = {ws.control_path_dir}",
            f"ssh_args = {ssh_args(ws)}",
            "",
        ]
    )


def pipelining_vars(pipelining: bool) -> dict[str, object]:
    """Extra vars that pipeline with the remote-kill shell, or that turn pipelining off.

    Extra vars beat inventory vars, so an inventory can neither turn pipelining back on
    nor pipeline without the remote kill.
    """
    if pipelining:
        return {"ansible_shell_type": _SHELL_TYPE_TEMPLATE}
    return {"ansible_pipelining": False, "ansible_ssh_pipelining": False}


def run_env(ws: Workspace, run_id: str) -> dict[str, str]:
    """Environment variables for ansible-playbook and everything it starts."""
    return {
        RUN_MARKER_ENV: run_id,
        RUN_OWNER_ENV: owner_marker(),
        "ANSIBLE_CONFIG": str(ws.ansible_cfg),
        # ansible-runner sets ANSIBLE_HOST_KEY_CHECKING=False unless the variable is present.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_HOME": str(ws.ansible_home),
        "ANSIBLE_LOCAL_TEMP": str(ws.local_tmp),
        # ANSIBLE_HOME does not move the ssh plugin's control path dir; set it on its own.
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(ws.control_path_dir),
        "SSH_AUTH_SOCK": str(ws.agent_socket),
        SECRETS_SOCKET_ENV: str(ws.secrets_socket),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }


def owner_marker() -> str:
    """This process as RUN_OWNER_ENV names it: its pid and start time (a reused pid differs)."""
    me = psutil.Process()
    return f"{me.pid}:{me.create_time():.2f}"
