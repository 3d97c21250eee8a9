"""Guardrails on the real DC: every protected or out-of-scope target is refused unwritten."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace

import ldap3
import pytest
from ldap3 import MODIFY_ADD

from lab.directory_data import DENY_LISTED_USER, SITES, VPN_GROUP
from runner_api.directory import DirectoryExecutor, LdapDirectory, directory_actions
from runner_api.directory.service import DirectoryService
from runner_api.errors import InvalidRequestError
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


# Windows Server 2016 domains have Key Admins (RID 526) and Enterprise Key Admins (527);
# Samba 4.17 does not make them, and LDAP may not set an objectSid: they are added to the
# DC's own database (samba's Python bindings, as system, with the relax control). DnsAdmins
# has no well-known RID: Samba's DNS provisioning makes it in CN=Users, as Windows does.
SID_GROUPS = {"Key Admins": 526, "Enterprise Key Admins": 527}
GLOBAL_SECURITY = -2147483646
DOMAIN_LOCAL_SECURITY = -2147483644
ADD_WITH_SID = """
import sys
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_pack
from samba.param import LoadParm
from samba.samdb import SamDB
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(lp=lp, session_info=system_session(lp), url=lp.samdb_url())
for spec in sys.argv[3:]:
    name, rid = spec.rsplit(":", 1)
    sid = security.dom_sid(f"{db.get_domain_sid()}-{rid}")
    db.add({"dn": f"CN={name},CN=Users,{db.domain_dn()}", "objectClass": "group",
            "sAMAccountName": name, "groupType": sys.argv[2], "objectSid": ndr_pack(sid)},
           controls=["relax:0"])
"""


@pytest.fixture
def dc_2016(dlab: DirectoryLabView) -> Iterator[ldap3.Connection]:
    """The lab DC with the 2016 groups (Administrator's connection); reset afterwards."""
    dlab.reset()  # this session's own copy of the DC runs: its database is the one changed
    smb_conf = dlab.handle.lab.dc("lab").smb_conf
    groups = [f"{name}:{rid}" for name, rid in SID_GROUPS.items()]
    subprocess.run(
        ["/usr/bin/python3", "-c", ADD_WITH_SID, str(smb_conf), str(GLOBAL_SECURITY), *groups],
        check=True,
    )
    conn = dlab.admin()
    try:
        yield conn
    finally:
        conn.unbind()
        dlab.reset()


def _join(conn: ldap3.Connection, group: str, member_dn: str) -> None:
    conn.search(SITES["lab"].base_dn, f"(sAMAccountName={group})", attributes=["cn"])
    group_dn = str(conn.response[0]["dn"])
    assert conn.modify(group_dn, {"member": [(MODIFY_ADD, [member_dn])]}), conn.result


@pytest.mark.parametrize("group", [*SID_GROUPS, "DnsAdmins"])
def test_key_admins_and_dns_admins_members_are_refused(
    group: str,
    dc_2016: ldap3.Connection,
    executor: DirectoryExecutor,
    make_run: MakeRun,
    dlab: DirectoryLabView,
) -> None:
    conn, base = dc_2016, SITES["lab"].base_dn
    direct, nested = "henry.moreau", "karen.mills"
    _join(conn, group, DirectoryLabView.dn(conn, direct))
    # nested: a group of the lab's own OU, itself a member of the privileged group
    inner = f"CN=Tier0-{group.replace(' ', '-')},OU=Groups,{base}"
    kind = DOMAIN_LOCAL_SECURITY if group == "DnsAdmins" else GLOBAL_SECURITY
    assert conn.add(inner, ["group"], {"groupType": kind}), conn.result
    _join(conn, group, inner)
    assert conn.modify(inner, {"member": [(MODIFY_ADD, [DirectoryLabView.dn(conn, nested)])]})
    for username in (direct, nested):
        before = dlab.state(username)
        outcome = executor.execute(make_run("account_disable", username=username).ctx)
        assert outcome.status is RunStatus.REFUSED, (username, outcome)
        assert f"member (direct or nested) of {group}" in (outcome.error or ""), outcome.error
        assert dlab.state(username) == before
    # Never granted either, even when a customer allow-lists it by mistake.
    allowed = replace(lab_customer(), allowlists={"groups": frozenset({group})})
    run = make_run("group_add", allowed, username="ben.carter", group=group)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED and "is privileged" in (outcome.error or "")
