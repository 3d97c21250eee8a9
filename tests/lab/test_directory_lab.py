"""The lab's Samba AD DCs: verified TLS, helpdesk-svc's delegation, sample data, speed."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.directory_data import (
    LAB_USER_PASSWORD,
    PRIVILEGED_GROUPS,
    UserState,
    users_of,
)
from lab.directory_ldap import (
    BASE,
    MODIFY_ADD,
    MODIFY_REPLACE,
    SUBTREE,
    Connection,
    LDAPException,
    Server,
    Tls,
)
from lab.directory_tls import DcTlsFiles, issue_dc_tls
from tests.plugins.directory_lab import DirectoryLabHandle

INSUFFICIENT_ACCESS_RIGHTS = 50
LOCKED_OUT = 0x10
PASSWORD_EXPIRED = 0x800000
ACCOUNT_DISABLE = 0x2
IN_CHAIN = "1.2.840.113556.1.4.1941"


@pytest.fixture
def lab_dc(directory_lab: DirectoryLabHandle) -> Iterator[DirectoryLabHandle]:
    """The directory lab; the lab DC goes back to its sample data after the test."""
    yield directory_lab
    directory_lab.reset("lab")


def _password(value: str) -> dict[str, list[tuple[str, list[bytes]]]]:
    return {"unicodePwd": [(MODIFY_REPLACE, [f'"{value}"'.encode("utf-16-le")])]}


def _replace(attribute: str, value: str) -> dict[str, list[tuple[str, list[str]]]]:
    return {attribute: [(MODIFY_REPLACE, [value])]}


def _bind(lab: DirectoryLabHandle, user: str, password: str) -> dict[str, object]:
    """The result of a simple bind on the lab DC (verified TLS); the connection is closed."""
    conn = lab.connection("lab", user, password)
    try:
        conn.bind()
        return dict(conn.result)
    finally:
        conn.unbind()


def _entries(conn: Connection) -> list[dict[str, object]]:
    return [entry for entry in conn.response if entry["type"] == "searchResEntry"]


def test_helpdesk_svc_binds_over_tls_verified_with_the_stored_ca(
    directory_lab: DirectoryLabHandle,
) -> None:
    for customer, info in directory_lab.customers.items():
        credential = directory_lab.credentials.directory_credential(customer)
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_data=credential.ca_pem,
            valid_names=[info.tls_name],
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
        server = Server(info.address, 636, use_ssl=True, tls=tls, get_info="NO_INFO")
        conn = Connection(server, credential.bind_dn, credential.password.get_secret_value())

        assert conn.bind(), conn.result
        assert credential.bind_dn == info.service_dn
        conn.unbind()


def test_a_bind_with_another_ca_fails(directory_lab: DirectoryLabHandle, tmp_path: Path) -> None:
    stranger = DcTlsFiles(tmp_path / "tls")
    issue_dc_tls(stranger, "Some other CA", "dc1.lab.test", "127.0.0.1")
    info = directory_lab["lab"]
    cas = {"another CA": stranger.ca_path, "contoso's CA": directory_lab["contoso"].ca_path}

    for what, ca_path in cas.items():
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=str(ca_path),
            valid_names=[info.tls_name],
            version=ssl.PROTOCOL_TLS_CLIENT,
        )
        server = Server(info.address, 636, use_ssl=True, tls=tls, get_info="NO_INFO")
        conn = Connection(server, info.service_dn, info.service_password)

        with pytest.raises(LDAPException, match="CERTIFICATE_VERIFY_FAILED"):
            conn.bind()
        assert not conn.bound, what


def test_helpdesk_svc_resets_unlocks_and_toggles_inside_the_user_ous(
    lab_dc: DirectoryLabHandle,
) -> None:
    info = lab_dc["lab"]
    svc = lab_dc.service_connection("lab")

    assert svc.modify(info.user_dn("henry.moreau"), _password("Fresh-Temp-Pass-42!")), svc.result
    assert svc.modify(info.user_dn("chloe.nguyen"), _replace("lockoutTime", "0")), svc.result
    assert svc.modify(info.user_dn("karen.mills"), _replace("userAccountControl", "514"))
    assert svc.modify(info.user_dn("daniel.okafor"), _replace("userAccountControl", "512"))
    assert svc.modify(info.user_dn("rosa.lopez"), _replace("pwdLastSet", "-1")), svc.result
    vpn = f"CN=VPN-Users,OU=Groups,{info.base_dn}"
    assert svc.modify(vpn, {"member": [(MODIFY_ADD, [info.user_dn("ben.carter")])]})
    svc.unbind()

    assert _bind(lab_dc, "henry.moreau", "Fresh-Temp-Pass-42!")["result"] == 0
    assert _bind(lab_dc, "chloe.nguyen", LAB_USER_PASSWORD)["result"] == 0
    assert _bind(lab_dc, "daniel.okafor", LAB_USER_PASSWORD)["result"] == 0
    assert _bind(lab_dc, "rosa.lopez", LAB_USER_PASSWORD)["result"] == 0
    disabled = _bind(lab_dc, "karen.mills", LAB_USER_PASSWORD)
    assert disabled["result"] == 49
    assert "data 533" in str(disabled["message"])


def test_helpdesk_svc_gets_insufficient_access_outside_the_user_ous(
    lab_dc: DirectoryLabHandle,
) -> None:
    info = lab_dc["lab"]
    svc = lab_dc.service_connection("lab")
    base = info.base_dn
    refused = {
        "reset svc-backup (OU=Service Accounts)": (
            info.user_dn("svc-backup"),
            _password("Fresh-Temp-Pass-42!"),
        ),
        "unlock xavier.reed (CN=Users)": (
            info.user_dn("xavier.reed"),
            _replace("lockoutTime", "0"),
        ),
        "reset Administrator": (f"CN=Administrator,CN=Users,{base}", _password("Fresh-Temp-42!")),
        "disable Administrator": (
            f"CN=Administrator,CN=Users,{base}",
            _replace("userAccountControl", "514"),
        ),
        "write description in scope": (info.user_dn("ben.carter"), _replace("description", "x")),
        "add to Domain Admins": (
            f"CN=Domain Admins,CN=Users,{base}",
            {"member": [(MODIFY_ADD, [info.user_dn("ben.carter")])]},
        ),
        "add to Sales-Team": (
            f"CN=Sales-Team,OU=Groups,{base}",
            {"member": [(MODIFY_ADD, [info.user_dn("ben.carter")])]},
        ),
    }

    for what, (dn, changes) in refused.items():
        assert not svc.modify(dn, changes), what
        assert svc.result["result"] == INSUFFICIENT_ACCESS_RIGHTS, (what, svc.result)
    svc.unbind()


def test_three_bad_binds_lock_a_user(lab_dc: DirectoryLabHandle) -> None:
    for _ in range(3):
        bad = _bind(lab_dc, "paul.dubois", "not-the-password")
        assert "data 52e" in str(bad["message"])

    right = _bind(lab_dc, "paul.dubois", LAB_USER_PASSWORD)
    assert right["result"] == 49
    assert "data 775" in str(right["message"])
    state = lab_dc.user_state("lab", "paul.dubois", ["msDS-User-Account-Control-Computed"])
    assert int(state["msDS-User-Account-Control-Computed"][0]) & LOCKED_OUT


@pytest.mark.parametrize("customer", ["lab", "contoso"])
def test_sample_users_are_in_the_states_the_table_says(
    directory_lab: DirectoryLabHandle, customer: str
) -> None:
    info = directory_lab[customer]
    conn = directory_lab.admin_connection(customer)
    attributes = ["userAccountControl", "msDS-User-Account-Control-Computed", "adminCount"]

    for user in users_of(customer):
        conn.search(info.user_dn(user.sam), "(objectClass=user)", BASE, attributes=attributes)
        raw = conn.response[0]["raw_attributes"]
        uac = int(raw["userAccountControl"][0])
        computed = int(raw["msDS-User-Account-Control-Computed"][0])
        assert bool(uac & ACCOUNT_DISABLE) == (user.state is UserState.DISABLED), user.sam
        assert bool(computed & LOCKED_OUT) == (user.state is UserState.LOCKED), user.sam
        assert bool(computed & PASSWORD_EXPIRED) == (user.state is UserState.MUST_CHANGE), user.sam
        assert (raw.get("adminCount") == [b"1"]) == user.stale_admin_count, user.sam
    conn.unbind()


def test_privileged_fixtures_are_members_directly_and_nested(
    directory_lab: DirectoryLabHandle,
) -> None:
    info = directory_lab["lab"]
    conn = directory_lab.admin_connection("lab")
    expected = {"Domain Admins": {"adm.domainadmins", "adm.nested"}}
    for user in users_of("lab"):
        for group in user.groups:
            if group in PRIVILEGED_GROUPS and group != "Domain Admins":
                expected.setdefault(group, set()).add(user.sam)
    assert set(expected) == set(PRIVILEGED_GROUPS)

    for group, members in expected.items():
        conn.search(info.base_dn, f"(sAMAccountName={group})", SUBTREE, attributes=["cn"])
        group_dn = _entries(conn)[0]["dn"]
        in_chain = f"(&(objectClass=user)(memberOf:{IN_CHAIN}:={group_dn}))"
        conn.search(f"OU=Staff,{info.base_dn}", in_chain, SUBTREE, attributes=["sAMAccountName"])
        found = {str(entry["attributes"]["sAMAccountName"][0]) for entry in _entries(conn)}  # type: ignore[index]
        # Domain and Enterprise Admins are themselves in Administrators: a superset there.
        assert members <= found, group
    conn.unbind()


def test_contoso_answers_on_its_own_address_with_its_own_data(
    directory_lab: DirectoryLabHandle,
) -> None:
    lab, contoso = directory_lab["lab"], directory_lab["contoso"]
    assert (lab.address, contoso.address) == ("127.0.0.1", "127.0.0.2")

    for info, own, other in (
        (lab, "tom.hughes", "uma.patel"),
        (contoso, "uma.patel", "tom.hughes"),
    ):
        conn = directory_lab.admin_connection(info.customer)
        conn.search("", "(objectClass=*)", BASE, attributes=["defaultNamingContext"])
        assert conn.response[0]["attributes"]["defaultNamingContext"] == [info.base_dn]
        for sam, present in ((own, True), (other, False)):
            conn.search(info.base_dn, f"(sAMAccountName={sam})", SUBTREE, attributes=["cn"])
            assert bool(_entries(conn)) == present, (info.customer, sam)
        conn.unbind()
        svc = directory_lab.service_connection(info.customer)
        assert svc.bound
        svc.unbind()


def test_restart_from_template_is_fast_and_restores_the_data(
    directory_lab: DirectoryLabHandle,
) -> None:
    info = directory_lab["contoso"]
    svc = directory_lab.service_connection("contoso")
    assert svc.modify(info.user_dn("grace.kim"), _replace("lockoutTime", "0")), svc.result
    svc.unbind()

    started = time.monotonic()
    directory_lab.reset("contoso")
    elapsed = time.monotonic() - started

    print(f"\ncontoso DC restarted from its template in {elapsed * 1000:.0f} ms")
    assert elapsed < 3.0
    state = directory_lab.user_state("contoso", "grace.kim", ["msDS-User-Account-Control-Computed"])
    assert int(state["msDS-User-Account-Control-Computed"][0]) & LOCKED_OUT
