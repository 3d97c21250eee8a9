"""The seam to a customer's Exchange: what the mailbox fixes need, whatever speaks to it.

EwsMailbox (ews_gateway.py) for on-premises Exchange, GraphMailbox (runner_api/exchange_online) for
Exchange Online through Microsoft Graph; MailboxBackends (backends.py) picks one per customer
(`mailbox.backend`). The actions do not know which: what a backend cannot do, it says
(`refusal`, MailboxUnsupportedError) before any request.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from runner_api.customers.models import Customer
from runner_api.runs.context import RunContext


class Folder(StrEnum):
    CALENDAR = "calendar"
    INBOX = "inbox"


class OofState(StrEnum):
    DISABLED = "Disabled"
    ENABLED = "Enabled"
    SCHEDULED = "Scheduled"


class Audience(StrEnum):
    """Who outside the organisation gets the external reply."""

    NONE = "None"
    KNOWN = "Known"
    ALL = "All"


@dataclass(frozen=True)
class Oof:
    """Automatic replies of one mailbox; start/end only mean something when Scheduled."""

    state: OofState
    audience: Audience = Audience.ALL
    internal_message: str = ""
    external_message: str = ""
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class InboxRule:
    """One inbox rule as far as the helpdesk cares: its name and where it forwards to."""

    rule_id: str
    name: str
    enabled: bool
    forward_to: tuple[str, ...] = ()
    redirect_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class FolderPermission:
    """One ACL entry: a user's SMTP address (or Default / Anonymous) and a permission level."""

    user: str
    level: str
    distinguished: bool = False


@dataclass(frozen=True)
class FolderAcl:
    """A folder's ACL: its entries, and those Exchange could not resolve to anyone."""

    entries: tuple[FolderPermission, ...]
    # Entries of users since deleted (EWS: UnknownEntries, a SID each). Kept as they are:
    # never a user, never compared with one, written back untouched.
    unresolved: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delegate:
    user: str
    display_name: str | None
    calendar: str
    inbox: str


@dataclass(frozen=True)
class InboxCounts:
    total: int
    unread: int


@dataclass(frozen=True)
class MailboxInfo:
    """Everything an agent looks at before acting on a mailbox."""

    mailbox: str
    oof: Oof
    rules: tuple[InboxRule, ...]
    permissions: dict[Folder, FolderAcl] = field(default_factory=dict)
    delegates: tuple[Delegate, ...] = ()
    # None where the backend does not read it.
    inbox: InboxCounts | None = None
    # What this backend cannot show, and why (e.g. no Graph API for delegates).
    unavailable: tuple[str, ...] = ()


class MailboxGateway(Protocol):
    """Reads and writes one mailbox of a customer; raises runner_api.mailbox.errors only.

    Every call acts as the target mailbox (EWS: impersonation), never as the service account.
    A read or write the backend has no API for raises MailboxUnsupportedError at once.
    """

    def backend(self, customer: Customer) -> str:
        """What the customer's mailboxes are reached through, for the run's record."""
        ...

    def scoped(self, ctx: RunContext) -> AbstractContextManager[None]:
        """Within it, this thread's calls for the run are bounded by its deadline and
        recorded as its events, where the backend can (Graph: each call with its ids)."""
        ...

    def refusal(self, customer: Customer, folder: Folder, level: str) -> str | None:
        """Why `level` on `folder` cannot be given through this backend (a reason for
        MailboxUnsupportedError); None when it can. "None" is the revoke."""
        ...

    def get_inbox(self, customer: Customer, mailbox: str) -> InboxCounts:
        """The inbox's item counts."""
        ...

    def get_oof(self, customer: Customer, mailbox: str) -> Oof:
        """The mailbox's automatic replies."""
        ...

    def set_oof(self, customer: Customer, mailbox: str, oof: Oof) -> None:
        """Replace the automatic replies (Disabled keeps the messages, as Exchange does)."""
        ...

    def get_rules(self, customer: Customer, mailbox: str) -> list[InboxRule]:
        """The mailbox's inbox rules."""
        ...

    def set_forward_rule(
        self, customer: Customer, mailbox: str, name: str, forward_to: str | None
    ) -> None:
        """Make the rule `name` forward to `forward_to` (replacing it), or delete it (None)."""
        ...

    def get_permissions(self, customer: Customer, mailbox: str, folder: Folder) -> FolderAcl:
        """The ACL of one of the mailbox's folders."""
        ...

    def set_permission(
        self, customer: Customer, mailbox: str, folder: Folder, user: str, level: str
    ) -> None:
        """Give `user` exactly `level` on the folder ("None" removes the entry); every other
        entry, unresolved ones included, is sent back as it was."""
        ...

    def get_delegates(self, customer: Customer, mailbox: str) -> list[Delegate]:
        """The mailbox's delegates and their folder levels."""
        ...
