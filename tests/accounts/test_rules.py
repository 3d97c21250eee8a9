"""The account guardrail's own rules, without the lab: which parameters name accounts, which
actions wait for a VIP, and what start_run decides when a lookup fails."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from runner_api.accounts import Account, AccountGuard
from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory import LdapDirectory, directory_actions
from runner_api.directory.accounts import DirectoryAccounts
from runner_api.directory.errors import DirectoryUnreachableError
from runner_api.errors import ConfigurationError
from runner_api.mailbox import mailbox_actions
from runner_api.pki.actions import pki_actions
from runner_api.runs.context import RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import StoppedError
from runner_api.secrets.credentials import FileCredentialSource
from runner_api.secrets.redactor import Redactor
from runner_api.vpn import vpn_actions

SPECS = {
    spec.name: spec
    for spec in (
        *builtin_actions(), *directory_actions(), *mailbox_actions(), *pki_actions(),
        *vpn_actions(),
    )
}  # fmt: skip
# Every parameter of this release that names an account (a login or a mail address).
ACCOUNT_FIELDS = {"username", "mailbox", "user", "forward_to"}
CUSTOMER = Customer(
    "acme",
    "Acme",
    Path("/nonexistent"),
    directory=DirectoryConfig("ldaps://dc.acme.test", "dc.acme.test", "DC=acme", ("OU=Staff",)),
    vip_users=frozenset({"maria.rossi"}),
)


class Directory:
    """Knows maria.rossi@acme.test; unreachable for down@acme.test (start_run never vets)."""

    def owner_of(self, customer: Customer, address: str) -> str | None:
        if address == "down@acme.test":
            raise DirectoryUnreachableError("directory unreachable: connection refused")
        return "maria.rossi" if address == "maria.rossi@acme.test" else None

    def vet(self, customer: Customer, username: str) -> Account:
        raise AssertionError("start_run never vets accounts: executors do")


GUARD = AccountGuard(Directory())


def _context(spec: ActionSpec, customer: Customer, params: dict[str, str]) -> RunContext:
    return RunContext(
        "run-1", "T-1", customer, spec, params["mailbox"], params, False, Redactor(), 60,
        emit=lambda event: None,
    )  # fmt: skip


@pytest.mark.parametrize("spec", SPECS.values(), ids=list(SPECS))
def test_every_account_parameter_is_declared(spec: ActionSpec) -> None:
    fields = set(spec.params_model.model_fields)
    assert set(spec.accounts) == fields & ACCOUNT_FIELDS


def test_which_actions_wait_for_a_vip_owner() -> None:
    waiting = {name for name, spec in SPECS.items() if spec.vip_approval}
    # Undoing (clear, revoke) never waits: an expiring grant's revoke must run on time.
    assert waiting == {
        "password_reset",
        "mailbox_oof_set",
        "mailbox_forwarding_set",
        "mailbox_folder_permission_grant",
    }


def test_a_vip_mailbox_waits_and_says_whose_it_is() -> None:
    spec = SPECS["mailbox_folder_permission_grant"]
    params = {"mailbox": "maria.rossi@acme.test", "user": "ben@acme.test"}
    assert GUARD.holds(spec, CUSTOMER, params) == [
        ("vip_user", "maria.rossi@acme.test is the mailbox of maria.rossi, on the VIP list of "
         "customer acme"),
    ]  # fmt: skip
    # The colleague is no owner: a VIP colleague makes nothing wait.
    params = {"mailbox": "ben@acme.test", "user": "maria.rossi@acme.test"}
    assert GUARD.holds(spec, CUSTOMER, params) == []
    assert GUARD.holds(SPECS["mailbox_info"], CUSTOMER, {"mailbox": "maria.rossi@acme.test"}) == []


def test_a_login_needs_no_lookup() -> None:
    reset = SPECS["password_reset"]
    assert GUARD.holds(reset, CUSTOMER, {"username": "Maria.Rossi"}) == [
        ("vip_user", "Maria.Rossi is on the VIP list of customer acme")
    ]
    assert GUARD.holds(SPECS["account_unlock"], CUSTOMER, {"username": "maria.rossi"}) == []


def test_an_owner_that_cannot_be_looked_up_waits() -> None:
    spec = SPECS["mailbox_forwarding_set"]
    [(rule, reason)] = GUARD.holds(spec, CUSTOMER, {"mailbox": "down@acme.test"})
    assert rule == "vip_unverified" and "connection refused" in reason


def test_without_a_directory_nothing_waits_and_the_executor_fails(tmp_path: Path) -> None:
    guard = AccountGuard(DirectoryAccounts(LdapDirectory(FileCredentialSource(tmp_path))))
    bare = replace(CUSTOMER, directory=None)
    spec = SPECS["mailbox_forwarding_set"]
    assert guard.holds(spec, bare, {"mailbox": "maria.rossi@acme.test"}) == []
    with pytest.raises(ConfigurationError, match="no directory"):
        guard.vet(_context(spec, bare, {"mailbox": "maria.rossi@acme.test"}))


class SlowDirectory(Directory):
    """Vets only once `answer` is set: a directory that has stopped answering."""

    def __init__(self) -> None:
        self.answer = threading.Event()

    def vet(self, customer: Customer, username: str) -> Account:
        self.answer.wait(30)
        return Account(username, f"CN={username}")


def test_a_read_ahead_that_outlasts_the_run_times_the_run_out() -> None:
    directory = SlowDirectory()
    guard = AccountGuard(directory)
    spec = SPECS["mailbox_oof_set"]
    params = {"mailbox": "maria.rossi@acme.test", "internal_message": "Away"}
    ctx = replace(_context(spec, CUSTOMER, params), timeout_s=0.2)
    guard.look_ahead(ctx.run_id, spec, CUSTOMER, params)
    try:
        with pytest.raises(StoppedError) as stopped:
            guard.vet(ctx)
    finally:
        directory.answer.set()
    assert stopped.value.status is RunStatus.TIMED_OUT
