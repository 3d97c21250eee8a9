"""A link that drops after a write was sent: never retried, reconciled by reading back.

The drop is simulated at our own seam (a gateway wrapper); the DC and its state are real.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lab.directory_data import LAB_USER_PASSWORD, VPN_GROUP
from runner_api.customers.models import Customer
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.directory.errors import ConnectionLostError
from runner_api.directory.gateway import Changes
from runner_api.runs.status import RunStatus
from tests.directory.conftest import VERIFIED, DirectoryLabView, Run

MakeRun = Callable[..., Run]


class DroppingGateway(LdapDirectory):
    """Sends (or not) each write, then reports a lost connection; counts the writes."""

    def __init__(self, real: LdapDirectory, applied: bool) -> None:
        self.__dict__.update(real.__dict__)
        self.applied = applied
        self.writes = 0

    def modify(self, customer: Customer, dn: str, changes: Changes) -> None:
        self.writes += 1
        if self.applied:
            super().modify(customer, dn, changes)
        raise ConnectionLostError("directory unreachable: the connection dropped (simulated)")

    def set_member(self, customer: Customer, group_dn: str, user_dn: str, member: bool) -> bool:
        self.writes += 1
        if self.applied:
            super().set_member(customer, group_dn, user_dn, member)
        raise ConnectionLostError("directory unreachable: the connection dropped (simulated)")


@pytest.fixture(scope="module", autouse=True)
def fresh_dc(dlab: DirectoryLabView) -> None:
    dlab.reset("lab")


def test_reset_that_reached_the_dc_is_confirmed_by_pwdlastset(
    gateway: LdapDirectory, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    dropping = DroppingGateway(gateway, applied=True)
    run = make_run("password_reset", caller_verification=VERIFIED, username="henry.moreau")
    outcome = DirectoryExecutor(dropping).execute(run.ctx)
    assert dropping.writes == 1
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert [e.kind for e in run.events].count("reconcile") == 1
    assert dlab.bind_result("henry.moreau", run.revealed[0])["result"] == 49
    assert run.revealed[0] not in run.texts(outcome)


def test_reset_that_did_not_reach_the_dc_says_so_and_is_not_retried(
    gateway: LdapDirectory, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    dropping = DroppingGateway(gateway, applied=False)
    before = dlab.state("maria.rossi")
    run = make_run("password_reset", caller_verification=VERIFIED, username="maria.rossi")
    outcome = DirectoryExecutor(dropping).execute(run.ctx)
    assert dropping.writes == 1 and run.revealed == []
    assert outcome.status is RunStatus.FAILED
    assert "the password was not reset" in (outcome.error or "")
    assert dlab.state("maria.rossi") == before
    assert dlab.bind_result("maria.rossi", LAB_USER_PASSWORD)["result"] == 0


def test_reset_of_a_must_change_user_is_outcome_unknown(
    gateway: LdapDirectory, make_run: MakeRun
) -> None:
    # pwdLastSet was 0 already: reading it back cannot tell whether the reset landed.
    dropping = DroppingGateway(gateway, applied=True)
    run = make_run("password_reset", caller_verification=VERIFIED, username="felix.wagner")
    outcome = DirectoryExecutor(dropping).execute(run.ctx)
    assert dropping.writes == 1 and run.revealed == []
    assert outcome.status is RunStatus.FAILED
    assert (outcome.error or "").startswith("outcome unknown:")
    assert outcome.details == {"outcome_unknown": True}


def test_a_dropped_write_that_landed_is_confirmed(
    gateway: LdapDirectory, make_run: MakeRun
) -> None:
    dropping = DroppingGateway(gateway, applied=True)
    run = make_run("group_remove", username="quinn.taylor", group=VPN_GROUP)
    outcome = DirectoryExecutor(dropping).execute(run.ctx)
    assert dropping.writes == 1
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed


def test_a_dropped_write_that_did_not_land_fails_unchanged(
    gateway: LdapDirectory, make_run: MakeRun
) -> None:
    dropping = DroppingGateway(gateway, applied=False)
    outcome = DirectoryExecutor(dropping).execute(
        make_run("account_disable", username="rosa.lopez").ctx
    )
    assert dropping.writes == 1
    assert outcome.status is RunStatus.FAILED
    assert "nothing was changed" in (outcome.error or "")
