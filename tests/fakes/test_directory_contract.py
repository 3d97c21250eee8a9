"""One contract for DirectoryGateway, run on FakeDirectory and on LdapDirectory + the lab DC.

The fake is only worth what it shares with the real thing: every check of DirectoryContract
runs twice, on the fake (TestFakeDirectory, fast tier) and on the lab's Samba DC through
the real LdapDirectory (TestLabDirectory: its fixtures need the directory lab, so root).
When the DC's answer changes, the lab run fails here, and the fake is brought back in line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from ldap3 import MODIFY_REPLACE

from lab.directory_data import PRIVILEGED_GROUPS, SITES, VPN_GROUP, users_of
from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.directory import DirectoryExecutor, filters, guardrails
from runner_api.directory.accounts import DirectoryAccounts
from runner_api.directory.errors import (
    DirectoryAccessDeniedError,
    DirectoryError,
    DirectoryOperationError,
    PasswordPolicyError,
    ProtectedTargetError,
)
from runner_api.directory.fixes import is_member
from runner_api.directory.gateway import DirectoryGateway
from runner_api.directory.ldap_gateway import LdapDirectory
from runner_api.directory.service import DirectoryService
from runner_api.runs.status import RunStatus
from tests.directory.conftest import SPECS, VERIFIED
from tests.fakes import FakeDirectory
from tests.fakes.context import run_context
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import PROJECT_DIR

SITE = SITES["lab"]
BASE = SITE.base_dn
VPN_DN = SITE.dn(f"CN={VPN_GROUP},OU=Groups")
ADMINISTRATOR_DN = SITE.dn("CN=Administrator,CN=Users")
NOWHERE_DN = SITE.dn("CN=Nobody Here,OU=Sales,OU=Staff")
# What guardrails.privileged_groups finds on a Samba 4.17 DC of the lab (by SID and name).
PRIVILEGED_NAMES = {
    "Domain Admins", "Domain Controllers", "Cert Publishers", "Schema Admins",
    "Enterprise Admins", "Group Policy Creator Owners", "Read-only Domain Controllers",
    "Administrators", "Account Operators", "Server Operators", "Print Operators",
    "Backup Operators", "Replicator", "DnsAdmins", "Payroll-Admins",
}  # fmt: skip


def dn(sam: str) -> str:
    (user,) = [user for user in users_of("lab") if user.sam == sam]
    return SITE.dn(user.relative_dn())


@dataclass
class Directory:
    """The gateway under test, the lab customer as inventories/lab describes it."""

    gateway: DirectoryGateway
    customer: Customer


class _Registry:
    def __init__(self, customer: Customer) -> None:
        self.customer = customer

    def get(self, name: str) -> Customer:
        assert name == self.customer.name
        return self.customer


def _same(found: str | None, wanted: str) -> bool:
    return found is not None and found.lower() == wanted.lower()


class DirectoryContract:
    """The checks; a subclass provides the gateway as its `directory` fixture."""

    def test_find_dn_anywhere_under_the_base_and_persons_only(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        assert _same(gw.find_dn(lab, "chloe.nguyen"), dn("chloe.nguyen"))
        assert _same(gw.find_dn(lab, "CHLOE.NGUYEN", fresh=True), dn("chloe.nguyen"))
        assert _same(gw.find_dn(lab, "Administrator"), ADMINISTRATOR_DN)
        assert _same(gw.find_dn(lab, "svc-backup"), dn("svc-backup"))
        assert gw.find_dn(lab, "uma.patel") is None  # contoso's only
        assert gw.find_dn(lab, VPN_GROUP) is None  # a group is no person
        assert gw.find_dn(lab, "*") is None  # escaped: no wildcard

    def test_find_login_by_mail_or_upn(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        assert gw.find_login(lab, "anna.schmidt@lab.test") == "anna.schmidt"
        assert gw.find_login(lab, "Anna.Schmidt@LAB.test") == "anna.schmidt"
        assert gw.find_login(lab, "nobody@lab.test") is None
        assert gw.find_login(lab, "anna.schmidt@contoso.test") is None

    def test_read_user_of_locked_disabled_and_must_change_users(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        chloe = gw.read_user(lab, dn("chloe.nguyen"))
        assert (chloe.username, chloe.display_name, chloe.mail) == (
            "chloe.nguyen", "Chloe Nguyen", "chloe.nguyen@lab.test",
        )  # fmt: skip
        assert chloe.locked and chloe.enabled and not chloe.must_change_password
        assert _same(chloe.manager, dn("anna.schmidt"))
        assert chloe.token_groups is not None and f"{chloe.domain_sid}-513" in chloe.token_groups
        # Only what the guardrails read: not the picker's memberOf, lockoutTime or logons.
        assert (chloe.member_of, chloe.lockout_time, chloe.last_logon) == ((), 0, None)
        daniel = gw.read_user(lab, dn("daniel.okafor"))
        assert not daniel.enabled and not daniel.locked and daniel.user_account_control == 514
        felix = gw.read_user(lab, dn("felix.wagner"))
        assert felix.must_change_password and felix.enabled and not felix.locked
        assert gw.read_user(lab, dn("adm.stale")).admin_count == 1
        assert gw.read_user(lab, dn("adm.domainadmins")).admin_count == 0  # no SDProp on Samba
        person = gw.read_person(lab, dn("anna.schmidt"))
        assert (person.username, person.display_name, person.mail) == (
            "anna.schmidt", "Anna Schmidt", "anna.schmidt@lab.test",
        )  # fmt: skip

    def test_unknown_dn_reads_as_nothing(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        assert gw.find_user(lab, NOWHERE_DN) is None
        assert gw.find_user(lab, VPN_DN) is None  # there, but no user
        with pytest.raises(DirectoryError, match="vanished"):
            gw.read_user(lab, NOWHERE_DN)
        with pytest.raises(DirectoryError, match="vanished"):
            gw.read_person(lab, NOWHERE_DN)
        assert gw.matches(lab, NOWHERE_DN, "(objectClass=*)") is False

    def test_search_with_the_filters_the_product_builds(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        (ben,) = gw.search(lab, filters.picker("ben"), 20)
        assert ben.username == "ben.carter" and ben.token_groups is None
        assert {filters.rdn_value(group) for group in ben.member_of} == {"Sales-Team"}
        members = gw.search(lab, f"(&{filters.USER_CLASS}{filters.member_of(VPN_DN)})", 50)
        # xavier.reed is a member too, but in CN=Users: outside the user OUs, never found.
        assert {user.username for user in members} == {
            "anna.schmidt", "emma.larsen", "grace.kim", "isabel.garcia", "olivia.brown",
            "quinn.taylor",
        }  # fmt: skip
        assert len(gw.search(lab, filters.picker("a"), 3)) == 3
        assert gw.search(lab, filters.picker("svc"), 20) == []
        service = DirectoryService(gw, _Registry(lab))  # type: ignore[arg-type]
        found = service.search_users("lab", "adm.", limit=50)
        assert len(found) == 11 and all(user.protected for user in found)
        (chloe,) = service.search_users("lab", "chloe")
        assert chloe.locked and not chloe.protected and chloe.groups == ["Sales-Team"]

    def test_find_groups_and_the_privileged_ones(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        vpn = guardrails.find_group(gw, lab, VPN_GROUP)
        assert vpn is not None and vpn.security and vpn.name == VPN_GROUP and _same(vpn.dn, VPN_DN)
        assert guardrails.find_group(gw, lab, "No-Such-Group") is None
        domain_sid = gw.read_user(lab, dn("ben.carter")).domain_sid
        found = guardrails.privileged_groups(gw, lab, domain_sid)
        assert {group.name for group in found} == PRIVILEGED_NAMES
        assert set(PRIVILEGED_GROUPS) <= PRIVILEGED_NAMES
        admins = guardrails.find_group(gw, lab, "Domain Admins")
        assert admins is not None and admins.object_sid == f"{domain_sid}-512"

    def test_matches_direct_and_in_chain_membership(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        ben, anna = gw.read_user(lab, dn("ben.carter")), gw.read_user(lab, dn("anna.schmidt"))
        assert not is_member(gw, lab, ben, VPN_DN) and is_member(gw, lab, anna, VPN_DN)
        admins = guardrails.find_group(gw, lab, "Domain Admins")
        assert admins is not None
        nested = dn("adm.nested")
        assert gw.matches(lab, nested, filters.member_of(admins.dn, nested=True))
        assert not gw.matches(lab, nested, filters.member_of(admins.dn))
        assert gw.matches(
            lab, dn("daniel.okafor"), "(userAccountControl:1.2.840.113556.1.4.803:=2)"
        )
        assert not gw.matches(
            lab, dn("ben.carter"), "(userAccountControl:1.2.840.113556.1.4.803:=2)"
        )

    def test_unlock_with_one_modify(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        before = gw.read_user(lab, dn("chloe.nguyen"))
        gw.modify(lab, dn("chloe.nguyen"), {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})
        after = gw.read_user(lab, dn("chloe.nguyen"))
        assert before.locked and not after.locked
        assert after.pwd_last_set == before.pwd_last_set  # an unlock only unlocks

    def test_the_products_reset_passes_the_policy_and_must_be_changed(
        self, directory: Directory
    ) -> None:
        gw, lab = directory.gateway, directory.customer
        revealed: list[str] = []

        def reveal(password: str) -> str:
            revealed.append(password)
            return "reveal-1"

        params = {"username": "henry.moreau", "caller_verification": VERIFIED}
        ctx = run_context(SPECS["password_reset"], lab, params, [], reveal)
        outcome = DirectoryExecutor(gw).execute(ctx)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
        assert len(revealed) == 1 and gw.read_user(lab, dn("henry.moreau")).must_change_password

    @pytest.mark.parametrize(
        ("password", "rule"),
        [
            ("a1", "too short"),
            ("alllowercase1", "complexity"),
            # Samba 4.17 does not look for the account's name (Windows would refuse it).
            ("Xhenry.moreau1!", None),
        ],
    )
    def test_the_password_policy_refuses_with_its_rule(
        self, directory: Directory, password: str, rule: str | None
    ) -> None:
        gw, lab = directory.gateway, directory.customer
        change = {"unicodePwd": [(MODIFY_REPLACE, [f'"{password}"'.encode("utf-16-le")])]}
        if rule is None:
            gw.modify(lab, dn("henry.moreau"), change)
            return
        with pytest.raises(PasswordPolicyError, match="result 19, 0000052D") as caught:
            gw.modify(lab, dn("henry.moreau"), change)
        assert rule in caught.value.message

    def test_set_member_on_vpn_users_says_whether_it_changed(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        ben = dn("ben.carter")
        assert gw.set_member(lab, VPN_DN, ben, True) is True
        assert gw.set_member(lab, VPN_DN, ben, True) is False  # 68: already a member
        assert is_member(gw, lab, gw.read_user(lab, ben), VPN_DN)
        assert gw.set_member(lab, VPN_DN, ben, False) is True
        assert gw.set_member(lab, VPN_DN, ben, False) is False  # 53: not a member

    def test_insufficient_access_outside_the_delegation(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        disable = {"userAccountControl": [(MODIFY_REPLACE, ["514"])]}
        unlock = {"lockoutTime": [(MODIFY_REPLACE, ["0"])]}
        describe = {"description": [(MODIFY_REPLACE, ["x"])]}
        refused: list[Callable[[], object]] = [
            lambda: gw.modify(lab, ADMINISTRATOR_DN, disable),
            lambda: gw.modify(lab, dn("xavier.reed"), unlock),
            lambda: gw.modify(lab, dn("ben.carter"), describe),
            lambda: gw.set_member(lab, SITE.dn("CN=Sales-Team,OU=Groups"), dn("ben.carter"), True),
            lambda: gw.set_member(
                lab, SITE.dn("CN=Domain Admins,CN=Users"), dn("ben.carter"), True
            ),
        ]
        for write in refused:
            with pytest.raises(DirectoryAccessDeniedError, match=r"denied \(result 50\)"):
                write()
        assert not gw.read_user(lab, dn("ben.carter")).locked

    def test_protected_admin_is_refused_by_the_guardrail_not_the_dc(
        self, directory: Directory
    ) -> None:
        gw, lab = directory.gateway, directory.customer
        accounts = DirectoryAccounts(gw)
        for sam in ("adm.domainadmins", "adm.nested", "adm.accountops"):
            with pytest.raises(ProtectedTargetError, match="member \\(direct or nested\\) of"):
                accounts.vet(lab, sam)
        # The DC itself lets helpdesk-svc write them (no AdminSDHolder on Samba): only P1 holds.
        gw.modify(lab, dn("adm.domainadmins"), {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})

    def test_unknown_dn_on_write(self, directory: Directory) -> None:
        gw, lab = directory.gateway, directory.customer
        with pytest.raises(DirectoryOperationError, match=r"noSuchObject \(result 32\)") as caught:
            gw.modify(lab, NOWHERE_DN, {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})
        assert caught.value.result_code == 32
        with pytest.raises(DirectoryOperationError, match=r"result 32"):
            gw.set_member(lab, SITE.dn("CN=No-Such-Group,OU=Groups"), dn("ben.carter"), True)


def _lab_customer() -> Customer:
    return CustomerRegistry(PROJECT_DIR / "inventories").get("lab")


class TestFakeDirectory(DirectoryContract):
    """The fake (fast tier)."""

    @pytest.fixture
    def directory(self) -> Directory:
        return Directory(FakeDirectory(), _lab_customer())


class TestLabDirectory(DirectoryContract):
    """LdapDirectory on the lab's Samba DC, back at its sample data before and after each
    check (needs the directory lab: root; marked `lab` by the fixtures it uses)."""

    @pytest.fixture
    def directory(self, directory_lab: DirectoryLabHandle) -> Iterator[Directory]:
        directory_lab.reset("lab")
        gateway = LdapDirectory(directory_lab.credentials)
        try:
            yield Directory(gateway, _lab_customer())
        finally:
            gateway.close()
            directory_lab.reset("lab")
