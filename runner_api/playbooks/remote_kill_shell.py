"""Ansible shell plugin `fixline_sh`: POSIX sh, whose pipelined modules die with their SSH
channel. An Ansible plugin, not a module of the service: nothing in Fixline imports it; the
executor copies it beside each run's staged playbooks (playbooks/shell_plugins/).

Without pipelining, Ansible runs each module under a pty (`ssh -tt`), so when the session
goes away (cancel, timeout, a dropped connection) the hangup reaches the task. With
pipelining the module is fed on stdin with no pty, and a killed session leaves it running
on the host: a restart or an install would go on after the run says "canceled".

This plugin starts each pipelined module under a small watcher, in the module's own Python:
the watcher forks the module into a new session (its own process group), keeps the
channel's stdout, and waits for either the module to end (it exits with the module's
status) or the channel to close (the read end of its stdout goes away: POLLERR/POLLHUP),
which kills the module's whole process group. Everything else is the builtin `sh`.
Fixline selects it per host (ansible_shell_type) when it pipelines. It is the executor's
guarantee, not a playbook's choice, so it ships with the service rather than with the
vetted playbooks.
"""

from __future__ import annotations

import shlex

from ansible.plugins.shell.sh import ShellModule as PosixShell  # type: ignore[import-untyped]

DOCUMENTATION = """
name: fixline_sh
author: Fixline
short_description: POSIX shell whose pipelined modules die with their SSH channel
description:
  - The builtin sh plugin, except that a pipelined module runs under a watcher that kills
    the module's process group when its SSH channel closes (run canceled or timed out,
    connection dropped).
extends_documentation_fragment:
  - shell_common
"""

# Runs on the host as `python -I -S -c WATCHER python`: argv[1:] is the module command.
# Signals: SIGCHLD only wakes poll() (through the wakeup pipe); a hangup or terminate sent
# to the watcher is passed on as a kill, like the pty's hangup would be.
WATCHER = """\
import os, select, signal, sys
wake_r, wake_w = os.pipe()
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)
signal.signal(signal.SIGCHLD, lambda *_: None)
pid = os.fork()
if pid == 0:
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.close(wake_r)
    os.close(wake_w)
    os.setsid()
    os.execvp(sys.argv[1], sys.argv[1:])
def kill(*_):
    os.killpg(pid, signal.SIGKILL)
    os._exit(255)
signal.signal(signal.SIGHUP, kill)
signal.signal(signal.SIGTERM, kill)
poller = select.poll()
poller.register(wake_r, select.POLLIN)
poller.register(1, 0)
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    for fd, _ in poller.poll():
        if fd == 1:
            kill()
        os.read(wake_r, 64)
"""


class ShellModule(PosixShell):  # type: ignore[misc]
    """The builtin sh plugin; pipelined module commands are wrapped in WATCHER."""

    def build_module_command(
        self, env_string: str, shebang: str | None, cmd: str, arg_path: str | None = None
    ) -> str:
        command: str = super().build_module_command(env_string, shebang, cmd, arg_path)
        # Pipelined: no module file and no arguments file, the module comes on stdin. Not
        # pipelined: the pty's hangup already stops the module, so leave it as it is.
        if (cmd and cmd.strip()) or arg_path or not shebang:
            return command
        interpreter = shebang.removeprefix("#!").strip()
        watcher = f"{interpreter} -I -S -c {shlex.quote(WATCHER)}"
        env = env_string.strip()
        return " ".join(part for part in (env, watcher, interpreter) if part)
