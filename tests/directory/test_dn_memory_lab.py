"""Remembered DNs on the real DC: a moved or renamed account is looked up again, never
taken on trust, and scope is decided on where the account is now."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from ldap3 import MODIFY_REPLACE

from lab.directory_data import CONTRACTORS_OU, SERVICE_OU, SITES
from runner_api.directory import DirectoryExecutor, LdapDirectory, guardrails
from runner_api.directory.errors import DirectoryObjectNotFoundError, OutOfScopeError
from runner_api.directory.filters import picker
from runner_api.directory.gateway import ACCOUNTDISABLE
from runner_api.runs.status import RunStatus
from tests.directory.conftest import DirectoryLabView, Run, lab_customer

MakeRun = Callable[..., Run]
BASE_DN = SITES["lab"].base_dn
USER = "paul.dubois"


@pytest.fixture(autouse=True)
def fresh_dc(dlab: DirectoryLabView) -> Iterator[None]:
    """Each test moves or renames accounts: start and leave with the template's data."""
    dlab.reset("lab")
    yield
    dlab.reset("lab")


@pytest.fixture
def remembering(dlab: DirectoryLabView) -> Iterator[LdapDirectory]:
    """A gateway of its own, so what it remembers comes from this test only."""
    directory = LdapDirectory(dlab.credentials)
    yield directory
    directory.close()


def _move(dlab: DirectoryLabView, username: str, new_parent: str) -> str:
    """Move the account to another container as Administrator; its new DN."""
    conn = dlab.admin()
    try:
        dn = dlab.dn(conn, username)
        rdn = dn.split(",", 1)[0]
        assert conn.modify_dn(dn, rdn, new_superior=new_parent), conn.result
        return f"{rdn},{new_parent}"
    finally:
        conn.unbind()


def _rename(dlab: DirectoryLabView, username: str, new_name: str) -> None:
    """A new login name (and the UPN that goes with it) for the same entry."""
    conn = dlab.admin()
    try:
        dn = dlab.dn(conn, username)
        upn = f"{new_name}@{SITES['lab'].dns_domain}"
        changes = {
            "sAMAccountName": [(MODIFY_REPLACE, [new_name])],
            "userPrincipalName": [(MODIFY_REPLACE, [upn])],
        }
        assert conn.modify(dn, changes), conn.result
    finally:
        conn.unbind()


def test_the_pickers_search_remembers_where_accounts_are(
    remembering: LdapDirectory, dlab: DirectoryLabView
) -> None:
    customer = lab_customer()
    found = {user.username: user.dn for user in remembering.search(customer, picker("paul"), 5)}
    new_dn = _move(dlab, USER, f"{CONTRACTORS_OU},{BASE_DN}")
    # Remembered from the search: the DC was not asked (it would name the new DN).
    assert remembering.find_dn(customer, USER) == found[USER]
    assert remembering.find_dn(customer, USER, fresh=True) == new_dn
    # The fix itself finds the account where it is now.
    assert guardrails.locate(remembering, customer, USER).dn == new_dn


def test_a_moved_account_is_fixed_where_it_is_now(
    remembering: LdapDirectory, dlab: DirectoryLabView, make_run: MakeRun
) -> None:
    customer = lab_customer()
    before = guardrails.locate(remembering, customer, USER).dn
    new_dn = _move(dlab, USER, f"{CONTRACTORS_OU},{BASE_DN}")
    assert new_dn != before
    run = make_run("account_disable", username=USER)
    outcome = DirectoryExecutor(remembering).execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed
    assert int(dlab.state(USER)["userAccountControl"][0]) & ACCOUNTDISABLE
    assert [e.data.get("dn") for e in run.events if e.kind == "guardrails"] == [new_dn]


def test_an_account_moved_out_of_scope_is_refused(
    remembering: LdapDirectory, dlab: DirectoryLabView, make_run: MakeRun
) -> None:
    customer = lab_customer()
    guardrails.locate(remembering, customer, USER)
    _move(dlab, USER, f"{SERVICE_OU},{BASE_DN}")
    before = dlab.state(USER)
    with pytest.raises(OutOfScopeError):
        guardrails.locate(remembering, customer, USER)
    run = make_run("account_disable", username=USER)
    outcome = DirectoryExecutor(remembering).execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED
    assert "outside the OUs" in (outcome.error or "")
    assert dlab.state(USER) == before


def test_a_remembered_dn_is_never_trusted_for_the_name(
    remembering: LdapDirectory, dlab: DirectoryLabView
) -> None:
    customer = lab_customer()
    remembered = guardrails.locate(remembering, customer, USER).dn
    # The entry at the remembered DN becomes someone else, and another account takes the name.
    _rename(dlab, USER, "paul.dubois.old")
    with pytest.raises(DirectoryObjectNotFoundError):
        guardrails.locate(remembering, customer, USER)
    _rename(dlab, "ben.carter", USER)
    user = guardrails.locate(remembering, customer, USER)
    assert user.dn != remembered
    assert user.username == USER and user.display_name == "Ben Carter"


def test_a_managers_contact_is_remembered_for_notices_only(
    remembering: LdapDirectory, dlab: DirectoryLabView
) -> None:
    """read_person (whom a notice goes to) answers from memory for a minute; guardrail
    reads never do (the tests above)."""
    customer = lab_customer()
    admin = dlab.admin()
    try:
        dn = dlab.dn(admin, USER)
        first = remembering.read_person(customer, dn)
        assert first.username == USER
        admin.modify(dn, {"mail": [(MODIFY_REPLACE, ["moved@example.test"])]})
        assert admin.result["result"] == 0
    finally:
        admin.unbind()
    assert remembering.read_person(customer, dn) == first
    fresh = LdapDirectory(dlab.credentials)
    try:
        assert fresh.read_person(customer, dn).mail == "moved@example.test"
    finally:
        fresh.close()
