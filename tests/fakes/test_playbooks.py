"""FakePlaybooks refuses what PlaybookExecutor refuses before ansible-playbook would start,
and keeps a run's secrets out of everything it records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.runs.context import EventIn, RunContext
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import FileCredentialSource
from tests.fakes import FakePlaybooks, Script
from tests.fakes.context import run_context
from tests.plugins.lab import PROJECT_DIR

SPECS = {spec.name: spec for spec in builtin_actions()}
SECRET = "Canary-fake-playbooks-4f1c"


def _ctx(action: str, events: list[EventIn], **params: Any) -> RunContext:
    customer = CustomerRegistry(PROJECT_DIR / "inventories").get("lab")
    return run_context(SPECS[action], customer, params, events)


def test_a_run_plays_events_and_keeps_its_secret_out_of_them() -> None:
    playbooks = FakePlaybooks(VettingLock(PROJECT_DIR))
    events: list[EventIn] = []
    ctx = _ctx("smoke_check", events, host="lab-host", secret=SECRET)
    outcome = playbooks.execute(ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.summary.endswith("secret arrived intact")
    assert events[0].kind == "play_start" and events[-1].kind == "result"
    assert SECRET not in repr(events) + repr(outcome) + repr(playbooks.calls)
    assert ctx.redactor.text(SECRET) != SECRET  # told to the redactor, as the real one does
    (call,) = playbooks.calls
    assert call.secret_params == ("secret",) and call.params == {"host": "lab-host"}


def test_no_ssh_credential_and_an_unvetted_playbook_fail_before_the_start(tmp_path: Path) -> None:
    no_credentials = FakePlaybooks(credentials=FileCredentialSource(tmp_path / "none"))
    outcome = no_credentials.execute(_ctx("smoke_check", [], host="lab-host"))
    assert outcome.status is RunStatus.FAILED and "no ssh credential" in (outcome.error or "")
    unvetted = FakePlaybooks(VettingLock(PROJECT_DIR, lock_path=tmp_path / "empty.lock.json"))
    outcome = unvetted.execute(_ctx("smoke_check", [], host="lab-host"))
    assert outcome.status is RunStatus.FAILED and "not vetted" in (outcome.error or "")
    assert no_credentials.calls == [] and unvetted.calls == []


@pytest.mark.parametrize(
    ("script", "params", "error"),
    [
        (Script(), {"host": "ghost"}, "target 'ghost' is not a host of the customer's inventory"),
        (Script(), {"host": "lab-host", "unit": "cron"}, "Refused: unit cron is not on"),
        (Script(fail_task="Run service_restart", failure="boom"), None, "failed on lab-host: boom"),
        (Script(unreachable=True), None, "could not reach the host on lab-host"),
    ],
)
def test_what_ends_a_playbook_failed(
    script: Script, params: dict[str, str] | None, error: str
) -> None:
    playbooks = FakePlaybooks()
    playbooks.script("service_restart", script)
    ctx = _ctx("service_restart", [], **(params or {"host": "lab-host", "unit": "fixline-lab-web"}))
    outcome = playbooks.execute(ctx)
    assert outcome.status is RunStatus.FAILED and error in (outcome.error or ""), outcome.error
