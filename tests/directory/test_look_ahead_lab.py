"""A run's lookup started while it is recorded (look_ahead) against the lab's Samba DC:
used once by that run only, and never when it was dropped or grew stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from lab.directory_data import LOCKOUT_THRESHOLD
from runner_api.customers.models import Customer
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.directory.gateway import UserEntry
from runner_api.runs import look_ahead
from runner_api.runs.status import RunStatus
from tests.directory.conftest import DirectoryLabView, Run, lab_customer

MakeRun = Callable[..., Run]
USER = "paul.dubois"


class CountingDirectory(LdapDirectory):
    """The real gateway, counting how often the target entry is read from the DC."""

    reads = 0

    def find_user(self, customer: Customer, dn: str) -> UserEntry | None:
        self.reads += 1
        return super().find_user(customer, dn)


@pytest.fixture(scope="module", autouse=True)
def fresh_dc(dlab: DirectoryLabView) -> None:
    dlab.reset("lab")


@pytest.fixture
def counted(dlab: DirectoryLabView) -> Iterator[tuple[CountingDirectory, DirectoryExecutor]]:
    gateway = CountingDirectory(dlab.credentials)
    yield gateway, DirectoryExecutor(gateway)
    gateway.close()


def _lock_out(dlab: DirectoryLabView) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        dlab.bind_result(USER, "wrong-Password-1")


def _ahead(executor: DirectoryExecutor, run: Run, username: str = USER) -> None:
    executor.look_ahead(run.ctx.run_id, lab_customer(), "account_unlock", {"username": username})


def test_the_run_uses_its_look_ahead_instead_of_reading_again(
    counted: tuple[CountingDirectory, DirectoryExecutor], make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    gateway, executor = counted
    _lock_out(dlab)
    run = make_run("account_unlock", username=USER)
    _ahead(executor, run)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert outcome.diff == {"before": {"locked": True}, "after": {"locked": False}}
    assert gateway.reads == 1
    assert [e.kind for e in run.events] == ["lookup", "guardrails", "change"]


@pytest.mark.parametrize("how", ["dropped", "stale", "another account"])
def test_a_look_ahead_that_may_be_stale_is_never_used(
    how: str,
    counted: tuple[CountingDirectory, DirectoryExecutor],
    make_run: MakeRun,
    dlab: DirectoryLabView,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read saw the account unlocked; it is locked before the run starts: the run must
    read again and unlock it, never answer "not locked" from the early read."""
    gateway, executor = counted
    executor.execute(make_run("account_unlock", username=USER).ctx)  # unlocked to start with
    gateway.reads = 0
    run = make_run("account_unlock", username=USER)
    _ahead(executor, run, "karen.mills" if how == "another account" else USER)
    if how == "stale":
        monkeypatch.setattr(look_ahead, "AHEAD_FRESH_S", 0.0)
    if how == "dropped":
        executor.drop_ahead(run.ctx.run_id)
    _lock_out(dlab)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed and outcome.summary == f"{USER} unlocked"
    assert gateway.reads == 2
