"""The EWS simulator itself: schema checks, auth, unknown operations, where rules land."""

from __future__ import annotations

import base64

import pytest
from exchangelib import BASIC, DELEGATE, UTC, Account, Build, Configuration, Credentials, Version
from exchangelib.errors import ResponseMessageError
from exchangelib.properties import Actions, Address, Rule

from lab.ews import MailboxLab
from lab.ews.soap import M, S, T
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
