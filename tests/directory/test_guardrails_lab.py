"""Guardrails on the real DC: every protected or out-of-scope target is refused unwritten."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runner_api.directory import DirectoryExecutor, LdapDirectory, directory_actions
from runner_api.directory.service import DirectoryService
from runner_api.errors import InvalidRequestError
from runner_api.lab.directory_data import DENY_LISTED_USER, VPN_GROUP
from runner_api.runs.status import RunStatus
from tests.directory.conftest import VERIFIED, DirectoryLabView, Run, lab_customer

MakeRun = Callable[..., Run]
PRIVILEGED = [
    "adm.domainadmins",
    "adm.enterpriseadmins",
    "adm.schemaadmins",
    "adm.administrators",
    "adm.accountops",
    "adm.serverops",
    "adm.backupops",
    "adm.printops",
    "adm.gpcreators",
]
PROTECTED = [
    *PRIVILEGED,
    ("adm.nested", "member (direct or nested) of Domain Admins"),
    ("adm.stale", "adminCount=1"),
    (DENY_LISTED_USER, "deny list"),
    ("sophie.turner", "protected group Payroll-Admins"),
]
OUT_OF_SCOPE = ["svc-backup", "xavier.reed", "Administrator", "helpdesk-svc"]
WRITES = [
    ("password_reset", {"unlock": True, "caller_verification": VERIFIED}),
    ("account_unlock", {}),
    ("account_disable", {}),
    ("group_add", {"group": VPN_GROUP}),
]


def _case(entry: str | tuple[str, str]) -> tuple[str, str]:
    return entry if isinstance(entry, tuple) else (entry, "member (direct or nested) of")


@pytest.mark.parametrize("entry", PROTECTED, ids=lambda e: _case(e)[0])
@pytest.mark.parametrize(("action", "extra"), WRITES, ids=[w[0] for w in WRITES])
def test_protected_targets_are_refused_before_any_write(
    entry: str | tuple[str, str],
    action: str,
    extra: dict[str, object],
    executor: DirectoryExecutor,
    make_run: MakeRun,
    dlab: DirectoryLabView,
) -> None:
    username, reason = _case(entry)
    before = dlab.state(username)
    run = make_run(action, username=username, **extra)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED, outcome
    assert "protected account" in (outcome.error or "") and reason in (outcome.error or "")
    assert "nothing was changed" in (outcome.error or "")
    assert not outcome.changed and run.revealed == []
    # uSNChanged included: not one attribute of the account was written.
    assert dlab.state(username) == before


@pytest.mark.parametrize("username", OUT_OF_SCOPE)
def test_users_outside_the_user_ous_are_refused(
    username: str, executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    before = dlab.state(username)
    outcome = executor.execute(make_run("account_disable", username=username).ctx)
    assert outcome.status is RunStatus.REFUSED
    assert "outside the OUs agents may touch" in (outcome.error or "")
    assert dlab.state(username) == before


def test_the_protected_group_of_another_customer_is_its_own(
    executor: DirectoryExecutor, make_run: MakeRun
) -> None:
    contoso = lab_customer("contoso")
    outcome = executor.execute(make_run("account_unlock", contoso, username="ruth.adler").ctx)
    assert outcome.status is RunStatus.REFUSED and "Board-Members" in (outcome.error or "")
    # A user only the contoso DC has does not exist for lab: customers never mix.
    outcome = executor.execute(make_run("account_unlock", username="uma.patel").ctx)
    assert outcome.status is RunStatus.FAILED and "no user 'uma.patel'" in (outcome.error or "")


@pytest.mark.parametrize("group", ["Sales-Team", "Domain Admins", "IT-Tier0"])
def test_groups_off_the_allow_list_are_refused(
    group: str, executor: DirectoryExecutor, make_run: MakeRun
) -> None:
    outcome = executor.execute(make_run("group_add", username="ben.carter", group=group).ctx)
    assert outcome.status is RunStatus.REFUSED and "allow-list" in (outcome.error or "")


def test_privileged_groups_are_refused_even_when_allow_listed(
    executor: DirectoryExecutor, make_run: MakeRun
) -> None:
    customer = lab_customer()
    customer = type(customer)(
        **{**customer.__dict__, "allowlists": {"groups": frozenset({"Domain Admins"})}}
    )
    run = make_run("group_add", customer, username="ben.carter", group="Domain Admins")
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED and "is privileged" in (outcome.error or "")


INJECTIONS = ["*)(objectClass=*", "admin*", "*", "ben.carter)(", "a\x00b", "(|(x=*))", "\\2a"]


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_injection_attempts_find_nothing(
    attempt: str,
    gateway: LdapDirectory,
    executor: DirectoryExecutor,
    make_run: MakeRun,
) -> None:
    customer = lab_customer()
    if "\x00" in attempt:
        with pytest.raises(InvalidRequestError):
            gateway.find_dn(customer, attempt)
    else:
        assert gateway.find_dn(customer, attempt) is None
    # Through the executor the parameter model stops them before the DC is asked.
    outcome = executor.execute(make_run("account_unlock", username=attempt).ctx)
    assert outcome.status is RunStatus.REFUSED and "invalid parameters" in (outcome.error or "")


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_picker_injection_attempts_match_nothing(attempt: str, gateway: LdapDirectory) -> None:
    service = DirectoryService(gateway, _Registry())  # type: ignore[arg-type]
    if "\x00" in attempt:
        with pytest.raises(InvalidRequestError, match="control characters"):
            service.search_users("lab", attempt)
    else:
        assert service.search_users("lab", attempt) == []


class _Registry:
    """The two lab customers, as CustomerRegistry.get answers."""

    def get(self, name: str):  # type: ignore[no-untyped-def]
        return lab_customer(name)


def test_every_action_is_declared_for_the_directory() -> None:
    names = {spec.name for spec in directory_actions()}
    assert names == {
        "password_reset",
        "account_unlock",
        "account_enable",
        "account_disable",
        "group_add",
        "group_remove",
    }
