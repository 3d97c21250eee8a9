"""What the simulator's Exchange Online keeps per mailbox: settings, inbox rules, calendar sharing.

A user with a mailbox (an Exchange Online licence) has a `Mailbox`; one without has None and
answers mail routes as Graph does (MailboxNotEnabledForRESTAPI). Ids have the shapes Graph
shows: folder ids "AAMkA...", rule ids base64 of 8 bytes ("AQAAAJ5dZp8="), calendar
permission ids base64 of "Default" (My Organization) or "ExchangePublishedUser.<smtp>".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import struct
import time
from dataclasses import dataclass, field

# Exchange's window for a mailbox that never scheduled automatic replies: a past day.
UNSET_START = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
# Who may be given which role (calendarRoleType): Exchange offers delegation only inside
# the organization, and My Organization only the sharing levels.
ORGANIZATION_ROLES = ("none", "freeBusyRead", "limitedRead", "read", "write")
INSIDE_ROLES = ("freeBusyRead", "limitedRead", "read", "write",
                "delegateWithoutPrivateEventAccess", "delegateWithPrivateEventAccess")  # fmt: skip
OUTSIDE_ROLES = ("freeBusyRead", "limitedRead", "read")
MY_ORGANIZATION = "My Organization"


@dataclass
class AutomaticReplies:
    """automaticRepliesSetting; the window is UTC and kept whatever the status."""

    status: str = "disabled"
    external_audience: str = "all"
    start: dt.datetime = UNSET_START
    end: dt.datetime = UNSET_START + dt.timedelta(days=1)
    # HTML as Exchange stores it; "" when never set.
    internal: str = ""
    external: str = ""


@dataclass
class MessageRule:
    id: str
    display_name: str
    sequence: int
    is_enabled: bool = True
    # messageRulePredicates / messageRuleActions as Graph writes them (checked against the
    # CSDL when they came in a request).
    conditions: dict[str, object] = field(default_factory=dict)
    actions: dict[str, object] = field(default_factory=dict)
    exceptions: dict[str, object] = field(default_factory=dict)
    has_error: bool = False
    is_read_only: bool = False
    visible_at: float = 0.0


@dataclass
class CalendarPermission:
    id: str
    name: str
    # None for My Organization (Graph leaves its address out).
    address: str | None
    role: str
    inside: bool
    removable: bool
    allowed: tuple[str, ...]
    visible_at: float = 0.0


@dataclass
class Inbox:
    id: str
    parent_id: str
    total: int = 0
    unread: int = 0
    children: int = 0


@dataclass
class Mailbox:
    time_zone: str
    inbox: Inbox
    archive_folder: str
    replies: AutomaticReplies = field(default_factory=AutomaticReplies)
    rules: list[MessageRule] = field(default_factory=list)
    calendar: list[CalendarPermission] = field(default_factory=list)
    # Under a replication delay, reads see the settings as they were until `settled_at`.
    before: AutomaticReplies | None = None
    settled_at: float = 0.0
    next_rule: int = 1

    def shown_replies(self) -> AutomaticReplies:
        """What a read sees now (the last change may not have replicated yet)."""
        if self.before is not None and time.monotonic() < self.settled_at:
            return self.before
        return self.replies

    def set_replies(self, replies: AutomaticReplies, delay_s: float) -> None:
        """New settings; under a replication delay reads keep the old ones for `delay_s`."""
        if delay_s > 0:
            self.before = self.shown_replies()
            self.settled_at = time.monotonic() + delay_s
        self.replies = replies

    def new_rule_id(self) -> str:
        """Exchange's rule id shape: base64 of 01 00 00 00 and a 4-byte key."""
        # Keys differ per mailbox (from the inbox id) and grow by one a rule, as Exchange's do.
        start = int.from_bytes(hashlib.sha256(self.inbox.id.encode()).digest()[:4], "little")
        key = struct.pack("<I", (start + self.next_rule) & 0xFFFFFFFF)
        self.next_rule += 1
        return base64.b64encode(b"\x01\x00\x00\x00" + key).decode()


def folder_id(owner: str, folder: str) -> str:
    """A stable Exchange-shaped folder id ("AAMkA...") for a user's well-known folder."""
    digest = hashlib.sha256(f"{owner}/{folder}".encode()).digest()
    return "AAMkA" + base64.urlsafe_b64encode(digest + digest[:14]).decode()


def permission_id(address: str | None) -> str:
    """calendarPermission ids as Exchange forms them (see the docs' examples)."""
    text = "Default" if address is None else f"ExchangePublishedUser.{address}"
    return base64.b64encode(text.encode()).decode()


def my_organization() -> CalendarPermission:
    """The entry every calendar starts with: colleagues see free/busy; it cannot go."""
    return CalendarPermission(
        permission_id(None), MY_ORGANIZATION, None, "freeBusyRead", True, False,
        ORGANIZATION_ROLES,
    )  # fmt: skip


def roles_for(inside: bool) -> tuple[str, ...]:
    """allowedRoles of a person's entry, by whether they are inside the organization."""
    return INSIDE_ROLES if inside else OUTSIDE_ROLES


def share(mailbox: Mailbox, name: str, address: str, role: str, inside: bool) -> CalendarPermission:
    """A calendar entry for a person (removable; their roles by where they are)."""
    entry = CalendarPermission(
        permission_id(address), name, address, role, inside, True, roles_for(inside)
    )
    mailbox.calendar.append(entry)
    return entry


def new_mailbox(owner: str, time_zone: str, total: int = 0, unread: int = 0) -> Mailbox:
    """A fresh mailbox: replies off, no rules, the calendar shared as Exchange sets it up."""
    inbox = Inbox(folder_id(owner, "inbox"), folder_id(owner, "msgfolderroot"), total, unread)
    mailbox = Mailbox(time_zone, inbox, folder_id(owner, "archive"))
    mailbox.calendar.append(my_organization())
    return mailbox
