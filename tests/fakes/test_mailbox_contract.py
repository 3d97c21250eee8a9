"""One contract for MailboxGateway, run on FakeMailbox and on EwsMailbox + the EWS simulator.

The simulator is in-process and needs no root (tests/plugins/mailbox_lab.py), so both halves
run in the fast tier: real exchangelib over HTTP against the simulator, and the fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from lab.ews.lab import DELETED_USER_SID
from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.mailbox.errors import (
    ImpersonationRefusedError,
    MailboxAccessDeniedError,
    MailboxNotFoundError,
    MailboxOperationError,
    MailboxRefusedError,
)
from runner_api.mailbox.ews_gateway import EwsMailbox
from runner_api.mailbox.gateway import (
    Audience,
    Delegate,
    Folder,
    FolderAcl,
    FolderPermission,
    MailboxGateway,
    Oof,
    OofState,
)
from tests.fakes import FakeMailbox
from tests.plugins.lab import PROJECT_DIR
from tests.plugins.mailbox_lab import MailboxLabHandle

ANNA = "anna.schmidt@lab.test"
BEN = "ben.carter@lab.test"
EMMA = "emma.larsen@lab.test"


@dataclass
class Exchange:
    """The gateway under test, the lab customer on it, and how to deny a mailbox there."""

    gateway: MailboxGateway
    customer: Customer
    deny: Callable[[str], None]


@pytest.fixture(params=["fake", "simulator"])
def exchange(request: pytest.FixtureRequest) -> Iterator[Exchange]:
    if request.param == "fake":
        fake = FakeMailbox()
        customer = CustomerRegistry(PROJECT_DIR / "inventories").get("lab")
        yield Exchange(fake, customer, fake.deny)
        return
    lab: MailboxLabHandle = request.getfixturevalue("mailbox_lab")
    gateway = EwsMailbox(lab.credentials)
    service_user = lab.sites["lab"].service_user

    def deny(address: str) -> None:
        lab.state.denied.add((service_user, address))

    try:
        yield Exchange(gateway, lab.customer("lab"), deny)
    finally:
        gateway.close()


def test_oof_reads_as_set_and_disabling_keeps_the_messages(exchange: Exchange) -> None:
    gw, lab = exchange.gateway, exchange.customer
    assert gw.get_oof(lab, ANNA) == Oof(OofState.DISABLED, Audience.ALL, "", "", None, None)
    on = Oof(OofState.ENABLED, Audience.KNOWN, "Back Monday.", "Away until Monday.")
    gw.set_oof(lab, ANNA, on)
    assert gw.get_oof(lab, ANNA) == on
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    scheduled = Oof(
        OofState.SCHEDULED, Audience.NONE, "In", "Out", start, start + timedelta(days=2)
    )
    gw.set_oof(lab, ANNA, scheduled)
    assert gw.get_oof(lab, ANNA) == scheduled
    gw.set_oof(lab, ANNA, Oof(OofState.DISABLED))
    off = gw.get_oof(lab, ANNA)
    assert off.state is OofState.DISABLED and (off.start, off.end) == (None, None)
    # exchangelib sends its default audience (All) with the state; the replies stay.
    assert (off.audience, off.internal_message, off.external_message) == (Audience.ALL, "In", "Out")


def test_forward_rule_is_made_replaced_and_removed(exchange: Exchange) -> None:
    gw, lab = exchange.gateway, exchange.customer
    assert gw.get_rules(lab, ANNA) == []
    gw.set_forward_rule(lab, ANNA, "fixline-forward", "Ben.Carter@lab.test")
    (rule,) = gw.get_rules(lab, ANNA)
    assert (rule.name, rule.enabled, rule.forward_to, rule.redirect_to) == (
        "fixline-forward", True, (BEN,), (),
    )  # fmt: skip
    gw.set_forward_rule(lab, ANNA, "fixline-forward", EMMA)
    assert [r.forward_to for r in gw.get_rules(lab, ANNA)] == [(EMMA,)]
    gw.set_forward_rule(lab, ANNA, "fixline-forward", None)
    assert gw.get_rules(lab, ANNA) == []


def test_folder_permissions_and_delegates_as_seeded(exchange: Exchange) -> None:
    gw, lab = exchange.gateway, exchange.customer
    assert gw.get_permissions(lab, ANNA, Folder.CALENDAR) == FolderAcl((
        FolderPermission("Default", "FreeBusyTimeOnly", True),
        FolderPermission("Anonymous", "None", True),
        FolderPermission(EMMA, "Reviewer"),
    ))  # fmt: skip
    assert gw.get_permissions(lab, ANNA, Folder.INBOX) == FolderAcl((
        FolderPermission("Default", "None", True),
        FolderPermission("Anonymous", "None", True),
    ))  # fmt: skip
    assert gw.get_delegates(lab, ANNA) == [Delegate(BEN, "Ben Carter", "Editor", "Reviewer")]
    assert gw.get_delegates(lab, BEN) == []


def test_permission_grant_and_revoke(exchange: Exchange) -> None:
    gw, lab = exchange.gateway, exchange.customer
    gw.set_permission(lab, ANNA, Folder.INBOX, BEN, "Reviewer")
    assert FolderPermission(BEN, "Reviewer") in gw.get_permissions(lab, ANNA, Folder.INBOX).entries
    gw.set_permission(lab, ANNA, Folder.CALENDAR, EMMA, "Editor")
    calendar = gw.get_permissions(lab, ANNA, Folder.CALENDAR).entries
    assert [p for p in calendar if p.user == EMMA] == [FolderPermission(EMMA, "Editor")]
    gw.set_permission(lab, ANNA, Folder.INBOX, BEN, "None")
    assert all(p.user != BEN for p in gw.get_permissions(lab, ANNA, Folder.INBOX).entries)
    with pytest.raises(MailboxOperationError, match="ErrorInvalidUserInfo"):
        gw.set_permission(lab, ANNA, Folder.INBOX, "nobody@lab.test", "Reviewer")


def test_an_unresolved_entry_is_shown_apart_and_a_write_works_around_it(
    exchange: Exchange,
) -> None:
    """Henry's calendar holds a deleted user's entry (seeded): EWS shows only its SID."""
    gw, lab = exchange.gateway, exchange.customer
    henry = "henry.moreau@lab.test"
    before = gw.get_permissions(lab, henry, Folder.CALENDAR)
    assert before.unresolved == (DELETED_USER_SID,)
    assert all(DELETED_USER_SID not in p.user and not p.user.startswith("sid:")
               for p in before.entries)  # fmt: skip
    gw.set_permission(lab, henry, Folder.CALENDAR, BEN, "Reviewer")
    after = gw.get_permissions(lab, henry, Folder.CALENDAR)
    assert after.entries == (*before.entries, FolderPermission(BEN, "Reviewer"))
    # Microsoft documents that resetting the PermissionSet deletes unknown entries; the
    # simulator does so by default and the fake as well (tests/mailbox covers the other case).
    assert after.unresolved == ()


def test_errors_of_mailboxes_that_cannot_be_used(exchange: Exchange) -> None:
    gw, lab = exchange.gateway, exchange.customer
    with pytest.raises(MailboxNotFoundError, match=r"no mailbox 'nobody@lab\.test'"):
        gw.get_oof(lab, "nobody@lab.test")
    # Contoso's mailbox exists, but lab's service account may not act as it.
    with pytest.raises(ImpersonationRefusedError, match="ApplicationImpersonation"):
        gw.get_rules(lab, "anna.schmidt@contoso.test")
    with pytest.raises(MailboxRefusedError, match="service account"):
        gw.get_oof(lab, "svc-helpdesk@lab.test")
    exchange.deny(BEN)
    with pytest.raises(MailboxAccessDeniedError, match="denied"):
        gw.get_oof(lab, BEN)
