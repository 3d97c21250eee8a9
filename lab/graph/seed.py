"""The simulator's sample tenants: a cloud-only customer and the lab customer's hybrid tenant.

fabrikam (cloud-only, fabrikam.example)
  adele.vance, alex.wilber, isaiah.langer   ordinary users (Sales Team, Project Falcon)
  megan.bowen     MFA methods: Authenticator (default), phone, FIDO2, OATH, email
  diego.siciliani one phone method, his default
  patti.fernandez Global Administrator (direct assignment)
  lee.gu, lynne.robbins  members of role-assignable IT Admins (User Administrator): transitive
  nestor.wilke    the CEO (a VIP in fixline.yml)
  joni.sherman    disabled
  grady.archie    in the mail-enabled security group and the distribution list
  groups: Sales Team (security), VPN Users (security, empty), Project Falcon (Microsoft 365),
          Finance Mail-Enabled (mail-enabled security), All Staff (distribution list),
          IT Admins (role-assignable)
  mailboxes (Exchange Online): every user but pradeep.gupta (unlicensed: no mailbox);
    time zones vary (MAIL_ZONES), inboxes have counts
    megan.bowen     automatic replies on (alwaysEnabled, to all outside senders)
    diego.siciliani automatic replies on, an HTML message with line breaks, none outside
    isaiah.langer   automatic replies scheduled 2030-03-20 18:00 to 2030-03-28 18:00 UTC
    alex.wilber     two inbox rules not made by Fixline: "Newsletters" (moves) and
                    "Invoices to Grady" (forwards to grady.archie)
    adele.vance     her calendar shared with alex.wilber (read)
lab (hybrid, lab.test)
  synced copies of lab Samba users (lab/directory_data.py): onPremisesSyncEnabled, sam@lab.test
  zoe.martin (cloud-only, MFA methods), breakglass (cloud-only Global Administrator)
  groups: VPN-Users (synced copy), Cloud-Apps (cloud security group)
  mailboxes in Exchange Online for the synced users and zoe.martin (a hybrid customer with
  its mail in the cloud); breakglass has none
Each tenant has one registered app with a fresh certificate; seed() returns its credential.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

from lab.directory_data import VPN_GROUP, UserState, users_of
from lab.graph.credentials import AppCredential, make_app_credential
from lab.graph.mailboxes import (
    AutomaticReplies,
    Mailbox,
    MessageRule,
    folder_id,
    new_mailbox,
    share,
)
from lab.graph.server import GraphSimulator
from lab.graph.state import (
    GLOBAL_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    AuthMethod,
    Group,
    RoleAssignment,
    Tenant,
    User,
    utcnow,
)

FABRIKAM_TENANT_ID = "9b6d7a3e-5f1c-4c2b-8e0a-3d4f5a6b7c81"
FABRIKAM_CLIENT_ID = "c1f0e2d3-4b5a-4968-8776-a5b4c3d2e1f0"
LAB_TENANT_ID = "2e8c4b1a-7d3f-4a9e-b6c5-0f1e2d3c4b5a"
LAB_CLIENT_ID = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
# The lab users copied into the hybrid tenant (a sample, not all: the rest stay AD-only).
SYNCED = ("anna.schmidt", "ben.carter", "daniel.okafor", "emma.larsen", "henry.moreau",
          "karen.mills", "olivia.brown", "paul.dubois", "sophie.turner", "walter.king")  # fmt: skip
# Each mailbox's time zone (Windows names, Exchange Online's default form).
MAIL_ZONES = {
    "adele.vance": "Pacific Standard Time",
    "alex.wilber": "Eastern Standard Time",
    "isaiah.langer": "GMT Standard Time",
    "megan.bowen": "Pacific Standard Time",
    "diego.siciliani": "Central Standard Time",
    "patti.fernandez": "W. Europe Standard Time",
    "lee.gu": "Tokyo Standard Time",
    "lynne.robbins": "AUS Eastern Standard Time",
    "nestor.wilke": "Pacific Standard Time",
    "joni.sherman": "Mountain Standard Time",
    "grady.archie": "Eastern Standard Time",
    # lab: W. Europe Standard Time unless named here
    "paul.dubois": "Romance Standard Time",
    "sophie.turner": "GMT Standard Time",
    "walter.king": "Eastern Standard Time",
}
_IDS = uuid.UUID("6f9e1c52-0d47-4b8a-9c3e-2a1b0c9d8e7f")


def object_id(tenant_id: str, name: str) -> str:
    """A stable object id per tenant and name (tests may rely on it across runs)."""
    return str(uuid.uuid5(_IDS, f"{tenant_id}/{name}"))


def seed(simulator: GraphSimulator) -> dict[str, AppCredential]:
    """Both sample tenants with their apps; customer name -> the app's credential."""
    credentials = {
        "fabrikam": make_app_credential(FABRIKAM_TENANT_ID, FABRIKAM_CLIENT_ID, "Fixline fabrikam"),
        "lab": make_app_credential(LAB_TENANT_ID, LAB_CLIENT_ID, "Fixline lab"),
    }
    with simulator.state.lock:
        _fabrikam(simulator.add_tenant(FABRIKAM_TENANT_ID, "fabrikam.example", "Fabrikam"))
        _lab(simulator.add_tenant(LAB_TENANT_ID, "lab.test", "Fixline Lab"))
    for credential in credentials.values():
        simulator.register_app(
            credential.tenant_id, credential.client_id, credential.certificate_pem
        )
    return credentials


def _user(tenant: Tenant, alias: str, name: str, **fields: Any) -> User:
    upn = f"{alias}@{tenant.domain}"
    given, _, surname = name.partition(" ")
    user = User(
        object_id(tenant.id, alias), upn, name, given or None, surname or None, upn, **fields
    )
    tenant.users[user.id] = user
    return user


def _group(tenant: Tenant, name: str, members: list[User], **fields: Any) -> Group:
    group = Group(object_id(tenant.id, f"group/{name}"), name, **fields)
    group.members = [m.id for m in members]
    tenant.groups[group.id] = group
    return group


def _assign(tenant: Tenant, principal_id: str, role: str) -> None:
    tenant.role_assignments.append(
        RoleAssignment(object_id(tenant.id, f"role/{principal_id}/{role}"), principal_id, role)
    )
    tenant.directory_roles.setdefault(role, object_id(tenant.id, f"directoryRole/{role}"))


def _method(user: User, kind: str, **details: object) -> AuthMethod:
    method = AuthMethod(
        object_id(user.id, f"method/{kind}/{len(user.methods)}"),
        kind,
        utcnow() - dt.timedelta(days=30),
        dict(details),
    )
    user.methods.append(method)
    return method


def _mfa(user: User) -> None:
    """Authenticator (the default), a mobile phone, FIDO2, software OATH and email."""
    app = _method(
        user,
        "microsoftAuthenticator",
        displayName="iPhone 15",
        deviceTag="SoftwareTokenActivated",
        phoneAppVersion="6.8.9",
    )
    _method(user, "phone", phoneNumber="+1 2065550123", phoneType="mobile",
            smsSignInState="notEnabled")  # fmt: skip
    _method(
        user,
        "fido2",
        displayName="YubiKey 5 NFC",
        aaGuid="fa2b99dc-9e39-4257-8f92-4a30d23c4118",
        model="YubiKey 5 NFC",
        attestationCertificates=[],
        attestationLevel="attested",
    )
    _method(user, "softwareOath", secretKey=None)
    _method(user, "email", emailAddress=f"{user.user_principal_name.split('@')[0]}@example.net")
    user.default_method_id = app.id


def _fabrikam(tenant: Tenant) -> None:
    adele = _user(tenant, "adele.vance", "Adele Vance", job_title="Retail Manager")
    alex = _user(tenant, "alex.wilber", "Alex Wilber", department="Sales")
    isaiah = _user(tenant, "isaiah.langer", "Isaiah Langer", department="Sales")
    megan = _user(tenant, "megan.bowen", "Megan Bowen", department="Marketing")
    _mfa(megan)
    diego = _user(tenant, "diego.siciliani", "Diego Siciliani", department="HR")
    phone = _method(diego, "phone", phoneNumber="+1 4255550199", phoneType="mobile",
                    smsSignInState="ready")  # fmt: skip
    diego.default_method_id = phone.id
    patti = _user(tenant, "patti.fernandez", "Patti Fernandez", job_title="President")
    _assign(tenant, patti.id, GLOBAL_ADMINISTRATOR)
    lee = _user(tenant, "lee.gu", "Lee Gu", department="IT")
    lynne = _user(tenant, "lynne.robbins", "Lynne Robbins", department="IT")
    _user(tenant, "nestor.wilke", "Nestor Wilke", job_title="Chief Executive Officer")
    _user(tenant, "joni.sherman", "Joni Sherman", account_enabled=False)
    grady = _user(tenant, "grady.archie", "Grady Archie", department="Finance")
    _group(tenant, "Sales Team", [adele, alex], description="Sales staff")
    _group(tenant, "VPN Users", [], description="Remote access")
    _group(tenant, "Project Falcon", [isaiah, megan], group_types=("Unified",),
           mail_enabled=True, security_enabled=False, mail="falcon@fabrikam.example")  # fmt: skip
    _group(tenant, "Finance Mail-Enabled", [grady], mail_enabled=True,
           mail="finance@fabrikam.example")  # fmt: skip
    _group(tenant, "All Staff", [grady, adele], mail_enabled=True, security_enabled=False,
           mail="allstaff@fabrikam.example")  # fmt: skip
    admins = _group(tenant, "IT Admins", [lee, lynne], is_assignable_to_role=True)
    _assign(tenant, admins.id, USER_ADMINISTRATOR)
    # A new hire without an Exchange Online licence yet: in Entra ID, no mailbox.
    _user(tenant, "pradeep.gupta", "Pradeep Gupta", department="Sales")
    _fabrikam_mail(tenant)


def _lab(tenant: Tenant) -> None:
    copies: dict[str, User] = {}
    for row in users_of("lab"):
        if row.sam not in SYNCED:
            continue
        copies[row.sam] = _user(
            tenant,
            row.sam,
            row.display_name,
            account_enabled=row.state != UserState.DISABLED,
            on_premises_sync_enabled=True,
            on_premises_sam_account_name=row.sam,
            on_premises_immutable_id=base64.b64encode(
                uuid.UUID(object_id("lab-ad", row.sam)).bytes
            ).decode(),
            on_premises_domain_name="lab.test",
        )
    henry = copies["henry.moreau"]
    app = _method(
        henry,
        "microsoftAuthenticator",
        displayName="Pixel 8",
        deviceTag="SoftwareTokenActivated",
        phoneAppVersion="6.2401.0119",
    )
    henry.default_method_id = app.id
    zoe = _user(tenant, "zoe.martin", "Zoe Martin", department="Sales")
    _mfa(zoe)
    breakglass = _user(tenant, "breakglass", "Break Glass")
    _assign(tenant, breakglass.id, GLOBAL_ADMINISTRATOR)
    vpn = [copies[sam] for sam in ("anna.schmidt", "emma.larsen", "olivia.brown")]
    _group(tenant, VPN_GROUP, vpn, on_premises_sync_enabled=True)
    _group(tenant, "Cloud-Apps", [zoe], description="Cloud-only app access")
    for alias, user in [*copies.items(), ("zoe.martin", zoe)]:
        _mailbox(user, MAIL_ZONES.get(alias, "W. Europe Standard Time"))


def _mailbox(user: User, time_zone: str) -> Mailbox:
    """An Exchange Online mailbox with inbox counts of its own (stable across runs)."""
    digest = hashlib.sha256(user.id.encode()).digest()
    total = 200 + int.from_bytes(digest[:2], "big") % 4000
    user.mailbox = new_mailbox(user.id, time_zone, total, digest[2] % 40)
    user.mailbox.inbox.children = digest[3] % 6
    return user.mailbox


def _html(*lines: str) -> str:
    """A reply message as Exchange stores what Outlook on the web saved."""
    return "<html>\n<body>\n<div>" + "<br>\n".join(lines) + "</div>\n</body>\n</html>\n"


def _fabrikam_mail(tenant: Tenant) -> None:
    people = {u.user_principal_name.split("@")[0]: u for u in tenant.users.values()}
    boxes = {
        alias: _mailbox(user, MAIL_ZONES[alias])
        for alias, user in people.items()
        if alias != "pradeep.gupta"
    }
    boxes["megan.bowen"].replies = AutomaticReplies(
        "alwaysEnabled", "all",
        internal=_html("I'm at the Fabrikam marketing offsite and will answer when I'm back."),
        external=_html("Thank you for your message. I'm out of the office this week."),
    )  # fmt: skip
    boxes["diego.siciliani"].replies = AutomaticReplies(
        "alwaysEnabled", "none",
        internal=_html("I am on parental leave until 3 April.",
                       "For HR questions please write to Patti Fernandez.", "", "Kind regards,",
                       "Diego"),
    )  # fmt: skip
    boxes["isaiah.langer"].replies = AutomaticReplies(
        "scheduled", "contactsOnly",
        dt.datetime(2030, 3, 20, 18, tzinfo=dt.UTC), dt.datetime(2030, 3, 28, 18, tzinfo=dt.UTC),
        _html("I'm at the sales kick-off and answer from 29 March."),
        _html("I'm travelling and answer from 29 March."),
    )  # fmt: skip
    alex = boxes["alex.wilber"]
    grady = people["grady.archie"]
    newsletters = MessageRule(
        alex.new_rule_id(), "Newsletters", 1,
        conditions={"senderContains": ["NEWSLETTER"]},
        actions={"moveToFolder": folder_id(people["alex.wilber"].id, "newsletters"),
                 "markAsRead": True, "stopProcessingRules": False},
    )  # fmt: skip
    invoices = MessageRule(
        alex.new_rule_id(), "Invoices to Grady", 2,
        conditions={"subjectContains": ["invoice"]},
        actions={"forwardTo": [{"emailAddress": {"name": grady.display_name,
                                                 "address": grady.mail}}],
                 "stopProcessingRules": False},
    )  # fmt: skip
    alex.rules.extend([newsletters, invoices])
    colleague = people["alex.wilber"]
    share(boxes["adele.vance"], colleague.display_name, str(colleague.mail), "read", True)
