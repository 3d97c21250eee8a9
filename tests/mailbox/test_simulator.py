"""The EWS simulator itself: permission shapes, auth, unknown operations, where rules land,
entries of deleted users (UnknownEntries). Schema checks in general: test_simulator_schema.py."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from exchangelib import BASIC, DELEGATE, UTC, Account, Build, Configuration, Credentials, Version
from exchangelib.errors import ResponseMessageError
from exchangelib.properties import Actions, Address, Rule

from lab.ews import MailboxLab
from lab.ews.lab import DELETED_USER_SID
from lab.ews.soap import M, S, T
from lab.ews.state import UnknownEntry
from tests.mailbox.conftest import ANNA, BEN, SERVICE
from tests.plugins.mailbox_lab import PASSWORD, MailboxLabHandle

AUTH = "Basic " + base64.b64encode(f"{SERVICE}:{PASSWORD}".encode()).decode()


def _update_folder(entry: str, holder: str = "Folder") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}"><s:Header>'
        f"<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{ANNA}"
        "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></s:Header>"
        "<s:Body><m:UpdateFolder><m:FolderChanges><t:FolderChange>"
        '<t:DistinguishedFolderId Id="inbox"/><t:Updates><t:SetFolderField>'
        f'<t:FieldURI FieldURI="folder:PermissionSet"/><t:{holder}><t:PermissionSet>'
        f"<t:Permissions>{entry}</t:Permissions></t:PermissionSet></t:{holder}>"
        "</t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>"
        "</s:Body></s:Envelope>"
    ).encode()


def test_exchangelib_56_permission_shapes_are_schema_errors(sim: MailboxLabHandle) -> None:
    sim.schema_faults_expected = True
    user = f"<t:UserId><t:PrimarySmtpAddress>{BEN}</t:PrimarySmtpAddress></t:UserId>"
    bad = {
        # exchangelib 5.6: UserId last, CalendarPermissionLevel in an Inbox entry, small f.
        "UserId last": f"<t:Permission><t:PermissionLevel>Reviewer</t:PermissionLevel>{user}"
        "</t:Permission>",
        "calendar level": f"<t:Permission>{user}<t:CalendarPermissionLevel>Reviewer"
        "</t:CalendarPermissionLevel></t:Permission>",
        "CanCreateSubfolders": f"<t:Permission>{user}<t:CanCreateSubfolders>false"
        "</t:CanCreateSubfolders><t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>",
    }
    for why, entry in bad.items():
        status, body = sim.simulator.answer(_update_folder(entry), AUTH)
        assert (status, b"ErrorSchemaValidation" in body) == (500, True), why
    good = f"<t:Permission>{user}<t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission>"
    status, body = sim.simulator.answer(_update_folder(good, "CalendarFolder"), AUTH)
    assert b"ErrorSchemaValidation" in body  # a calendar holder for the inbox
    status, body = sim.simulator.answer(_update_folder(good), AUTH)
    assert (status, b"NoError" in body) == (200, True)
    acl = sim.state.mailboxes[ANNA].folders["inbox"].permissions
    assert [(p.user, p.level) for p in acl] == [(BEN, "Reviewer")]


def test_unknown_operation_and_anonymous_requests(sim: MailboxLabHandle) -> None:
    raw = f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}"><s:Body><m:FindItem/></s:Body></s:Envelope>'
    status, body = sim.simulator.answer(raw.encode(), AUTH)
    assert status == 500 and b"ErrorInvalidOperation" in body
    assert sim.simulator.answer(raw.encode(), None)[0] == 401
    assert [r.status for r in sim.requests] == [200, 401]


def test_delegate_access_puts_rules_in_the_service_accounts_mailbox(
    sim: MailboxLabHandle,
) -> None:
    """Why Fixline impersonates: exchangelib never names the mailbox in UpdateInboxRules."""
    config = Configuration(
        service_endpoint=sim.simulator.url,
        credentials=Credentials(SERVICE, PASSWORD),
        auth_type=BASIC,
        version=Version(build=Build(15, 1, 2507, 6)),
    )
    account = Account(ANNA, config=config, access_type=DELEGATE, autodiscover=False,
                      default_timezone=UTC)  # fmt: skip
    rule = Rule(account=account, display_name="x", priority=1, is_enabled=True,
                actions=Actions(forward_to_recipients=[Address(email_address=BEN)]))  # fmt: skip
    # Created in the service account's mailbox; exchangelib then looks for it in Anna's.
    with pytest.raises(ResponseMessageError, match="Failed to create rule"):
        rule.save()
    assert sim.state.mailboxes[ANNA].rules == []
    assert [r.display_name for r in sim.state.mailboxes[SERVICE].rules] == ["x"]


def test_mailbox_lab_stores_credentials_and_describes_a_simulator(
    sim: MailboxLabHandle,
) -> None:
    mailbox_lab = MailboxLab(sim.credentials, port=0)
    simulator = mailbox_lab.start()
    try:
        credential = sim.credentials.mailbox_credential("contoso")
        assert credential.username == "svc-helpdesk@contoso.test"
        assert "anna.schmidt@contoso.test" in simulator.state.mailboxes
        lines = mailbox_lab.describe()
        assert all("simulator" in line for line in lines)
        assert simulator.url in lines[0]
    finally:
        mailbox_lab.stop()
    assert not simulator.running()


HENRY = "henry.moreau@lab.test"


def _calendar_acl(entries: str, unknown: str = "") -> bytes:
    """UpdateFolder of Henry's calendar: CalendarPermission entries, then UnknownEntries."""
    tail = f"<t:UnknownEntries>{unknown}</t:UnknownEntries>" if unknown else ""
    return (
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}"><s:Header>'
        f"<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{HENRY}"
        "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></s:Header>"
        "<s:Body><m:UpdateFolder><m:FolderChanges><t:FolderChange>"
        '<t:DistinguishedFolderId Id="calendar"/><t:Updates><t:SetFolderField>'
        '<t:FieldURI FieldURI="folder:PermissionSet"/><t:CalendarFolder><t:PermissionSet>'
        f"<t:CalendarPermissions>{entries}</t:CalendarPermissions>{tail}</t:PermissionSet>"
        "</t:CalendarFolder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges>"
        "</m:UpdateFolder></s:Body></s:Envelope>"
    ).encode()


def _entry(user_id: str, level: str = "Reviewer") -> str:
    return (
        f"<t:CalendarPermission><t:UserId>{user_id}</t:UserId><t:CalendarPermissionLevel>"
        f"{level}</t:CalendarPermissionLevel></t:CalendarPermission>"
    )


def test_a_deleted_users_entry_is_an_unknown_entry(sim: MailboxLabHandle) -> None:
    """GetFolder shows it after the list as a bare SID, as Exchange does; no level, no user."""
    raw = (
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}"><s:Body><m:GetFolder>'
        "<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
        '<t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape>'
        '<m:FolderIds><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>'
        f"{HENRY}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds>"
        "</m:GetFolder></s:Body></s:Envelope>"
    ).encode()
    status, body = sim.simulator.answer(raw, AUTH)
    assert status == 200
    pset = ET.fromstring(body).find(f".//{{{T}}}PermissionSet")  # noqa: S314
    assert pset is not None
    assert [child.tag.split("}")[1] for child in pset] == ["CalendarPermissions", "UnknownEntries"]
    assert [e.text for e in pset[1]] == [DELETED_USER_SID]
    assert DELETED_USER_SID.encode() not in ET.tostring(pset[0])


def test_an_acl_reset_deletes_unknown_entries_by_default(sim: MailboxLabHandle) -> None:
    """Microsoft: "The unknown entries are deleted when you reset the PermissionSet"."""
    folder = sim.state.mailboxes[HENRY].folders["calendar"]
    default = _entry("<t:DistinguishedUser>Default</t:DistinguishedUser>", "FreeBusyTimeOnly")
    unknown = f"<t:UnknownEntry>{DELETED_USER_SID}</t:UnknownEntry>"
    status, body = sim.simulator.answer(_calendar_acl(default, unknown), AUTH)
    assert (status, b"NoError" in body) == (200, True)
    assert folder.unknown == []
    assert [(p.user, p.level) for p in folder.permissions] == [("Default", "FreeBusyTimeOnly")]


def test_echoed_unknown_entries_kept_when_the_simulator_is_told_so(sim: MailboxLabHandle) -> None:
    """The other reading: named again, an entry keeps its rights; nothing is made from a name."""
    sim.state.keep_echoed_unknown_entries = True
    folder = sim.state.mailboxes[HENRY].folders["calendar"]
    sim.state.leave_unknown_entry(HENRY, "calendar", "S-1-5-21-1-2-3-4444", "Editor")
    named = "".join(
        f"<t:UnknownEntry>{sid}</t:UnknownEntry>"
        for sid in (DELETED_USER_SID, DELETED_USER_SID, "S-1-5-21-9-9-9-9999")
    )
    status, _ = sim.simulator.answer(_calendar_acl("", named), AUTH)
    assert status == 200
    assert folder.unknown == [UnknownEntry(DELETED_USER_SID, "Reviewer")]


def test_an_unknown_entry_cannot_be_sent_back_as_a_permission(sim: MailboxLabHandle) -> None:
    """Its SID resolves to nobody (why it is unknown), and a user named twice is refused."""
    folder = sim.state.mailboxes[HENRY].folders["calendar"]
    before = (list(folder.permissions), list(folder.unknown), folder.change)
    by_sid = _entry(f"<t:SID>{DELETED_USER_SID}</t:SID>")
    status, body = sim.simulator.answer(_calendar_acl(by_sid), AUTH)
    assert (status, b"ErrorInvalidUserInfo" in body) == (200, True)
    ben = _entry(f"<t:PrimarySmtpAddress>{BEN}</t:PrimarySmtpAddress>")
    status, body = sim.simulator.answer(_calendar_acl(ben + ben), AUTH)
    assert (status, b"ErrorDuplicateUserIdsSpecified" in body) == (200, True)
    assert (folder.permissions, folder.unknown, folder.change) == before
