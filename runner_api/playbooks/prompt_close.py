"""ansible-runner's end of a run without ptyprocess's fixed 0.1 s sleep.

ansible-runner (pexpect mode) ends every run with `child.close()`, after it has read the
child's EOF. ptyprocess's close() then sleeps `delayafterclose` (0.1 s, "to give the kernel
time to update process status") before it looks whether the child still runs, and kills it
if so. That sleep was a tenth of a second on every playbook run, about 5 % of a
service_restart (bench/playbook_overhead.py).

`PromptPty.close` waits for the same thing as a condition. Once the child's EOF was read
(ansible-runner's case), ptyprocess's isalive() itself waits for the child's exit, so close()
returns as soon as the child has exited, with its own exit status (the warm client reports
ansible-playbook's code a moment after its output ended). A child whose output did not end
is looked at every millisecond for at most the same 0.1 s, then terminated as before.

Only ansible-runner's spawns are changed: `install()` gives its runner module a pexpect
whose `spawn` makes PromptPty children; pexpect itself and every other user of it stay
as they are.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import ansible_runner.runner
import pexpect  # type: ignore[import-untyped]
import ptyprocess  # type: ignore[import-untyped]

_EXIT_POLL_S = 0.001


class PromptPty(ptyprocess.PtyProcess):  # type: ignore[misc]
    """A PtyProcess whose close() waits for the child's exit instead of sleeping."""

    def close(self, force: bool = True) -> None:
        if not self.closed:  # type: ignore[has-type]
            self.flush()
            self.fileobj.close()
            deadline = time.monotonic() + self.delayafterclose
            while self.isalive() and time.monotonic() < deadline:
                time.sleep(_EXIT_POLL_S)
            if self.isalive() and not self.terminate(force):
                raise ptyprocess.PtyProcessError("Could not terminate the child.")
            self.fd = -1
            self.closed = True


class PromptSpawn(pexpect.spawn):  # type: ignore[misc]
    """pexpect.spawn with a PromptPty child."""

    def _spawnpty(self, args: list[str], **kwargs: Any) -> PromptPty:
        child: PromptPty = PromptPty.spawn(args, **kwargs)
        return child


def install() -> None:
    """Make ansible-runner spawn PromptSpawn children (idempotent)."""
    if ansible_runner.runner.pexpect.spawn is not PromptSpawn:
        ansible_runner.runner.pexpect = SimpleNamespace(**{**vars(pexpect), "spawn": PromptSpawn})
