"""ansible-runner's spawns end without ptyprocess's fixed sleep (prompt_close.py), and
still keep the child's own exit status, or stop a child that stays."""

from __future__ import annotations

import ansible_runner.runner
import pexpect  # type: ignore[import-untyped]

from runner_api.playbooks.prompt_close import PromptSpawn, install


def _ended(script: str) -> PromptSpawn:
    """The script run as ansible-runner runs ansible-playbook, closed after its EOF."""
    # As ansible-runner spawns: SIGHUP ignored (closing the pty sends one).
    child = PromptSpawn("/bin/sh", ["-c", script], encoding="utf-8", ignore_sighup=True)
    child.expect(pexpect.EOF, timeout=10)
    child.close()
    return child


def test_only_ansible_runner_spawns_prompt_children() -> None:
    install()
    install()  # idempotent
    assert ansible_runner.runner.pexpect.spawn is PromptSpawn
    assert ansible_runner.runner.pexpect.EOF is pexpect.EOF
    assert pexpect.spawn is not PromptSpawn


def test_a_child_that_closed_its_output_is_waited_for_not_killed() -> None:
    """As the warm client does: its output ends (ansible-playbook is gone) and it exits a
    moment later with the exit code it was told. close() waits for that exit."""
    child = _ended("exec </dev/null >&- 2>&-; sleep 0.05; exit 3")
    assert (child.exitstatus, child.signalstatus) == (3, None)


def test_a_child_whose_output_goes_on_is_terminated_as_before() -> None:
    # Closed before its output ended (no EOF read): stopped, SIGHUP being ignored.
    child = PromptSpawn("/bin/sleep", ["30"], encoding="utf-8", ignore_sighup=True)
    child.close()
    assert child.exitstatus is None and child.signalstatus is not None
