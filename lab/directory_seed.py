"""Fills a freshly provisioned lab DC with directory_data's table, as Administrator.

Writes go over LDAPS verified against the lab CA; the domain password policy and the
helpdesk-svc delegation go through samba-tool on the DC's own database (-s smb.conf).
"""

from __future__ import annotations

import ssl
from pathlib import Path

from lab import directory_data as data
from lab import directory_helpdesk as helpdesk
from lab.directory_data import DirectorySite, LabUser, UserState
from lab.directory_ldap import (
    BASE,
    MODIFY_ADD,
    MODIFY_REPLACE,
    SUBTREE,
    Connection,
    LDAPException,
    Server,
    Tls,
    escape_filter_chars,
    format_sid,
)
from lab.process import LabError, run

SAMBA_TOOL = "samba-tool"
USER_CLASSES = ["top", "person", "organizationalPerson", "user"]
GLOBAL_SECURITY_GROUP = -2147483646
NORMAL_ACCOUNT = 512
DISABLED_ACCOUNT = 514
# Schema GUIDs of what helpdesk-svc is delegated (MS-ADA/MS-ADTS).
RESET_PASSWORD_RIGHT = "00299570-246d-11d0-a768-00aa006e0529"  # noqa: S105 (a GUID)
PWD_LAST_SET_ATTRIBUTE = "bf967a0a-0de6-11d0-a285-00aa003049e2"  # noqa: S105 (a GUID)
LOCKOUT_TIME = "28630ebf-41d5-11d1-a9c1-0000f80367c1"
USER_ACCOUNT_CONTROL = "bf967a68-0de6-11d0-a285-00aa003049e2"
MEMBER = "bf9679c0-0de6-11d0-a285-00aa003049e2"
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"


def ldaps_server(site: DirectorySite, ca_path: Path, timeout_s: float = 5.0) -> Server:
    """The site's DC over LDAPS, its certificate verified against the lab CA and tls_name."""
    tls = Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=str(ca_path),
        valid_names=[site.tls_name],
        version=ssl.PROTOCOL_TLS_CLIENT,
    )
    return Server(
        site.address,
        port=636,
        use_ssl=True,
        tls=tls,
        get_info="NO_INFO",
        connect_timeout=timeout_s,
    )


def bind(site: DirectorySite, ca_path: Path, user: str, password: str) -> Connection:
    """A bound connection (verified TLS); LabError when the bind fails."""
    conn = Connection(ldaps_server(site, ca_path), user=user, password=password, receive_timeout=30)
    try:
        bound = conn.bind()
    except LDAPException as exc:
        raise LabError(f"cannot reach the {site.customer} DC at {site.url}: {exc}") from exc
    if not bound:
        result = conn.result
        conn.unbind()
        raise LabError(f"bind as {user} on the {site.customer} DC failed: {result}")
    return conn


def _check(conn: Connection, what: str, ok: bool) -> None:
    if not ok:
        raise LabError(f"seeding the lab directory failed at {what}: {conn.result}")


def _find_dn(conn: Connection, base_dn: str, sam: str) -> str:
    """The DN of the account or group with this sAMAccountName."""
    found = conn.search(
        base_dn, f"(sAMAccountName={escape_filter_chars(sam)})", SUBTREE, attributes=["cn"]
    )
    # Referrals (searchResRef, no DN) to the DNS and configuration partitions come along.
    entries = [entry for entry in conn.response if entry["type"] == "searchResEntry"]
    _check(conn, f"looking up {sam}", found and len(entries) == 1)
    return str(entries[0]["dn"])


def _user_attributes(site: DirectorySite, user: LabUser, index: int) -> dict[str, object]:
    attributes: dict[str, object] = {
        "sAMAccountName": user.sam,
        "userPrincipalName": f"{user.sam}@{site.dns_domain}",
        "displayName": user.display_name,
        "mail": f"{user.sam}@{site.dns_domain}",
        "description": user.purpose,
        "telephoneNumber": f"+1 555 01{index:02d}",
        "unicodePwd": f'"{data.LAB_USER_PASSWORD}"'.encode("utf-16-le"),
        "userAccountControl": str(
            DISABLED_ACCOUNT if user.state is UserState.DISABLED else NORMAL_ACCOUNT
        ),
    }
    if user.given:
        attributes |= {"givenName": user.given, "sn": user.surname}
    department = user.ou.split(",")[0].removeprefix("OU=")
    if user.ou.endswith(data.STAFF_OU) and user.ou != data.STAFF_OU:
        attributes["department"] = department
    return attributes


def _add_users(conn: Connection, site: DirectorySite) -> dict[str, str]:
    dns: dict[str, str] = {}
    for index, user in enumerate(data.users_of(site.customer)):
        dn = site.dn(user.relative_dn())
        _check(
            conn, f"adding {dn}", conn.add(dn, USER_CLASSES, _user_attributes(site, user, index))
        )
        # A user made with a password still has pwdLastSet=0 (must change): clear it.
        _check(conn, f"pwdLastSet of {dn}", conn.modify(dn, _replace("pwdLastSet", "-1")))
        dns[user.sam] = dn
    for user in data.users_of(site.customer):
        if user.manager:
            manager = _replace("manager", dns[user.manager])
            _check(conn, f"manager of {user.sam}", conn.modify(dns[user.sam], manager))
        if user.stale_admin_count:
            stale = _replace("adminCount", "1")
            _check(conn, f"adminCount of {user.sam}", conn.modify(dns[user.sam], stale))
    return dns


def _replace(attribute: str, value: str) -> dict[str, list[tuple[str, list[str]]]]:
    return {attribute: [(MODIFY_REPLACE, [value])]}


def _add_memberships(conn: Connection, site: DirectorySite, users: dict[str, str]) -> None:
    members: dict[str, list[str]] = {}
    for user in data.users_of(site.customer):
        for name in user.groups:
            members.setdefault(name, []).append(users[user.sam])
    for group in data.groups_of(site.customer):
        for parent in group.member_of:
            members.setdefault(parent, []).append(site.dn(f"CN={group.name},{data.GROUPS_OU}"))
    for group_name, dns in members.items():
        group_dn = _find_dn(conn, site.base_dn, group_name)
        added = conn.modify(group_dn, {"member": [(MODIFY_ADD, dns)]})
        _check(conn, f"members of {group_name}", added)


def _lock(site: DirectorySite, ca_path: Path, user: LabUser) -> None:
    """Lock an account the real way: bad binds up to the lockout threshold."""
    for _ in range(data.LOCKOUT_THRESHOLD):
        conn = Connection(
            ldaps_server(site, ca_path),
            user=f"{user.sam}@{site.dns_domain}",
            password="not-the-password",  # noqa: S106
        )
        if conn.bind():
            raise LabError(f"a bad bind of {user.sam} succeeded: the lab DC accepts anything")
        conn.unbind()


def _samba_tool(smb_conf: Path, *args: str) -> None:
    run([SAMBA_TOOL, *args, "-s", str(smb_conf)])


def _delegate(conn: Connection, site: DirectorySite, smb_conf: Path, service_dn: str) -> None:
    found = conn.search(service_dn, "(objectClass=user)", BASE, attributes=["objectSid"])
    _check(conn, "reading the helpdesk-svc SID", found)
    # samba-tool wants the SID as text: raw bytes die in security.descriptor.from_sddl.
    sid = format_sid(conn.response[0]["raw_attributes"]["objectSid"][0])
    on_users = "".join(
        f"(OA;CIIO;{rights};{guid};{USER_CLASS};{sid})"
        for rights, guid in (
            ("CR", RESET_PASSWORD_RIGHT),
            ("RPWP", PWD_LAST_SET_ATTRIBUTE),
            ("RPWP", LOCKOUT_TIME),
            ("RPWP", USER_ACCOUNT_CONTROL),
        )
    )
    for ou in site.user_ous:
        _samba_tool(smb_conf, "dsacl", "set", f"--objectdn={ou}", f"--sddl={on_users}")
    vpn_dn = site.dn(f"CN={data.VPN_GROUP},{data.GROUPS_OU}")
    on_vpn = f"(OA;;RPWP;{MEMBER};;{sid})"
    _samba_tool(smb_conf, "dsacl", "set", f"--objectdn={vpn_dn}", f"--sddl={on_vpn}")


def _add_service_account(
    conn: Connection, site: DirectorySite, account: LabUser, password: str
) -> str:
    """An account with its own (random) password that never expires; its DN."""
    dn = site.dn(account.relative_dn())
    attributes = _user_attributes(site, account, 99)
    attributes["unicodePwd"] = f'"{password}"'.encode("utf-16-le")
    _check(conn, f"adding {account.sam}", conn.add(dn, USER_CLASSES, attributes))
    _check(conn, f"pwdLastSet of {account.sam}", conn.modify(dn, _replace("pwdLastSet", "-1")))
    return dn


def seed_helpdesk(conn: Connection, site: DirectorySite, login_password: str) -> str:
    """The helpdesk's agents, Fixline's role groups and fixline-login; its DN."""
    _check(
        conn,
        "adding the helpdesk OU",
        conn.add(site.dn(helpdesk.HELPDESK_OU), "organizationalUnit"),
    )
    dns: dict[str, str] = {}
    for group in helpdesk.HELPDESK_GROUPS:
        dns[group.name] = site.dn(f"CN={group.name},{helpdesk.HELPDESK_OU}")
        attributes = {
            "sAMAccountName": group.name,
            "groupType": GLOBAL_SECURITY_GROUP,
            "description": group.purpose,
        }
        _check(conn, f"adding {group.name}", conn.add(dns[group.name], "group", attributes))
    members: dict[str, list[str]] = {}
    for index, agent in enumerate(helpdesk.AGENTS):
        dn = site.dn(agent.relative_dn())
        _check(
            conn, f"adding {dn}", conn.add(dn, USER_CLASSES, _user_attributes(site, agent, index))
        )
        _check(conn, f"pwdLastSet of {dn}", conn.modify(dn, _replace("pwdLastSet", "-1")))
        for name in agent.groups:
            members.setdefault(name, []).append(dn)
    for group in helpdesk.HELPDESK_GROUPS:
        for parent in group.member_of:
            members.setdefault(parent, []).append(dns[group.name])
    for name, member_dns in members.items():
        added = conn.modify(dns[name], {"member": [(MODIFY_ADD, member_dns)]})
        _check(conn, f"members of {name}", added)
    login = LabUser(
        helpdesk.LOGIN_ACCOUNT, "", "", helpdesk.LOGIN_ACCOUNT_OU, "Fixline's agent-login lookups"
    )
    return _add_service_account(conn, site, login, login_password)


def seed(
    conn: Connection, site: DirectorySite, ca_path: Path, smb_conf: Path, service_password: str
) -> str:
    """Write the sample data, the policy and the delegation; returns helpdesk-svc's DN."""
    _samba_tool(
        smb_conf,
        "domain",
        "passwordsettings",
        "set",
        f"--account-lockout-threshold={data.LOCKOUT_THRESHOLD}",
        # 0 = locked until someone unlocks: a template's locked users stay locked.
        "--account-lockout-duration=0",
        "--reset-account-lockout-after=30",
        "--min-pwd-age=0",
        # 0 = never: a template keeps working however old it gets.
        "--max-pwd-age=0",
    )
    ous = [data.STAFF_OU, data.CONTRACTORS_OU, data.SERVICE_OU, data.GROUPS_OU]
    ous += [f"OU={name},{data.STAFF_OU}" for name in data.DEPARTMENTS]
    for ou in ous:
        _check(conn, f"adding {ou}", conn.add(site.dn(ou), "organizationalUnit"))
    for group in data.groups_of(site.customer):
        attributes = {
            "sAMAccountName": group.name,
            "groupType": GLOBAL_SECURITY_GROUP,
            "description": group.purpose,
        }
        dn = site.dn(f"CN={group.name},{data.GROUPS_OU}")
        _check(conn, f"adding {dn}", conn.add(dn, "group", attributes))
    users = _add_users(conn, site)
    _add_memberships(conn, site, users)
    service = LabUser(
        data.SERVICE_ACCOUNT, "", "", data.SERVICE_OU, "Fixline's delegated directory bind"
    )
    service_dn = _add_service_account(conn, site, service, service_password)
    _delegate(conn, site, smb_conf, service_dn)
    for user in data.users_of(site.customer):
        if user.state is UserState.LOCKED:
            _lock(site, ca_path, user)
        elif user.state is UserState.MUST_CHANGE:
            must_change = _replace("pwdLastSet", "0")
            _check(conn, f"pwdLastSet of {user.sam}", conn.modify(users[user.sam], must_change))
    return service_dn
