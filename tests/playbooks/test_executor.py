"""PlaybookExecutor end to end: real ansible-runner over real SSH to the lab host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runner_api.playbooks import PlaybookExecutor
from runner_api.runs.status import RunStatus
from runner_api.secrets.redactor import MASK
from tests.playbooks.conftest import Run, assert_no_trace, marker_processes


def test_success_emits_events_in_order(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_echo")

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert run.kinds() == [
        "play_start",
        "task_start",
        "ok",
        "task_start",
        "changed",
        "task_start",
        "ok",
        "recap",
        "result",
    ]
    assert [e.task for e in run.events if e.kind == "task_start"] == [
        "Show the token",
        "Echo the token",
        "Publish the result",
    ]
    assert {e.host for e in run.events if e.kind in ("ok", "changed")} == {"lab-host"}
    echoed = run.events[4]
    assert echoed.data == {"changed": True, "rc": 0}
    assert run.events[2].message == f"ok: [lab-host] token {MASK} b64 {MASK}"
    assert "lab-host: ok=3 changed=1 unreachable=0 failed=0" in run.events[7].message
    assert outcome.changed is True
    assert outcome.summary == f"echoed for ticket {run.ctx.ticket_id} token {MASK}"
    assert outcome.diff == {"before": {"echoed": False}, "after": {"echoed": True, "stdout": MASK}}
    assert outcome.error is None
    assert set(outcome.versions) == {"ansible-core", "ansible-runner"}
    assert outcome.versions["ansible-core"].startswith("2.19.")
    assert outcome.versions["ansible-runner"] == "2.4.3"
    assert_no_trace(run, outcome, work_dir)


def test_failure_reports_the_failing_task(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_fail")

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.FAILED
    assert outcome.error == (
        "task 'List a missing folder named after the token' failed on lab-host: "
        f"non-zero return code: ls: cannot access '/nonexistent-{MASK}': "
        "No such file or directory"
    )
    assert run.kinds()[-3:] == ["task_start", "failed", "recap"]
    assert "Never reached" not in [e.task for e in run.events]
    assert outcome.summary.startswith("1 host(s): ok=1 changed=0 unreachable=0 failed=1")
    assert_no_trace(run, outcome, work_dir)


def test_check_mode_passes_check_and_diff(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "written.txt"
    run = make_run("fx_write", check_mode=True, path=str(target))

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert not target.exists()
    assert run.events[2].message == "ok: [lab-host] check mode True"
    assert outcome.changed is True
    assert outcome.details["check_mode"] is True
    assert outcome.diff is not None
    (change,) = outcome.diff["tasks"]
    assert change["task"] == "Write the file"
    assert change["diff"][0]["after"] == f"hello {run.ctx.ticket_id}\n"
    assert_no_trace(run, outcome, work_dir)


def test_without_check_mode_the_file_is_written(
    executor: PlaybookExecutor, make_run: Callable[..., Run], tmp_path: Path
) -> None:
    target = tmp_path / "written.txt"
    run = make_run("fx_write", path=str(target))

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert target.read_text() == f"hello {run.ctx.ticket_id}\n"
    assert outcome.diff is None


def test_edited_playbook_is_refused_before_anything_runs(
    executor: PlaybookExecutor, make_run: Callable[..., Run], test_project: Path, work_dir: Path
) -> None:
    tasks = test_project / "roles" / "fx_sleep" / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text() + "\n- name: Sneaked in\n  ansible.builtin.ping:\n")
    run = make_run("fx_sleep")

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None
    assert "not vetted" in outcome.error
    assert "roles/fx_sleep/tasks/main.yml" in outcome.error
    assert run.events == []
    assert elapsed < 2
    assert marker_processes(run.marker) == []
    assert_no_trace(run, outcome, work_dir)


def test_target_outside_the_inventory_is_refused(
    executor: PlaybookExecutor, make_run: Callable[..., Run]
) -> None:
    run = make_run("fx_echo")
    run.ctx.target = "all"

    outcome, _ = run.execute(executor)

    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "target 'all' is not a host of the customer's inventory"
    assert run.events == []
