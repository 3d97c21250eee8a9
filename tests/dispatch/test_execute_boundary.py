"""The executor boundary: a missing or crashing executor ends the run FAILED, never raises."""

from __future__ import annotations

from runner_api.catalog.models import ActionKind
from runner_api.dispatch.execution import execute_boundary
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.secrets.redactor import Redactor
from tests.runs.factories import ACCOUNT_ACTION, CUSTOMER


class CrashingExecutor:
    """Our own double: an executor with a bug."""

    def execute(self, ctx: RunContext) -> Outcome:
        raise KeyError("a bug")


def _context() -> RunContext:
    return RunContext(
        run_id="r1",
        ticket_id="INC-1",
        customer=CUSTOMER,
        action=ACCOUNT_ACTION,
        target="bob",
        params={"account": "bob"},
        check_mode=False,
        redactor=Redactor(),
        timeout_s=60,
        emit=lambda event: None,
    )


def test_no_executor_of_the_kind_fails_the_run() -> None:
    outcome = execute_boundary({}, _context())
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == f"no executor for {ActionKind.DIRECTORY} actions here"


def test_a_crashing_executor_fails_the_run() -> None:
    outcome = execute_boundary({ActionKind.DIRECTORY: CrashingExecutor()}, _context())
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == f"internal error in the {ActionKind.DIRECTORY} executor: KeyError"
