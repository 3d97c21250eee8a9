"""What the EWS simulator remembers: mailboxes, OOF, rules, folder ACLs, delegates, faults."""

from __future__ import annotations

import base64
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

# Named levels the simulator accepts, per folder kind (types.xsd PermissionLevelType and
# CalendarPermissionLevelType).
FOLDER_LEVELS = frozenset(
    {"None", "Owner", "PublishingEditor", "Editor", "PublishingAuthor", "Author",
     "NoneditingAuthor", "Reviewer", "Contributor", "Custom"}
)  # fmt: skip
CALENDAR_LEVELS = FOLDER_LEVELS | {"FreeBusyTimeOnly", "FreeBusyTimeAndSubjectAndLocation"}
# Folders every simulated mailbox has; calendar is the only CalendarFolder among them.
FOLDERS = ("root", "msgfolderroot", "inbox", "calendar", "contacts", "tasks")


@dataclass
class Oof:
    """One mailbox's automatic replies, as SetUserOofSettings left them."""

    state: str = "Disabled"
    external_audience: str = "All"
    start: datetime | None = None
    end: datetime | None = None
    internal_reply: str = ""
    external_reply: str = ""


@dataclass
class Permission:
    """One ACL entry: a user (SMTP address) or a distinguished user (Default, Anonymous)."""

    user: str
    level: str
    distinguished: bool = False
    # The client's flags for a Custom level, kept as sent (name -> text).
    flags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnknownEntry:
    """An ACL entry whose user Exchange can no longer resolve (deleted from the directory).

    The store keeps its rights; EWS shows only the SID, in <t:UnknownEntries>, never as a
    <t:Permission>, and cannot take it as a permission again (the SID resolves to nobody).
    """

    sid: str
    level: str


@dataclass
class Folder:
    """One folder with its ACL; the change key moves on every update."""

    mailbox: str
    name: str
    permissions: list[Permission]
    change: int = 1
    unknown: list[UnknownEntry] = field(default_factory=list)

    @property
    def folder_id(self) -> str:
        return base64.b64encode(f"{self.mailbox}/{self.name}".encode()).decode()

    @property
    def change_key(self) -> str:
        return f"CK{self.change}"

    @property
    def is_calendar(self) -> bool:
        return self.name == "calendar"


@dataclass
class Rule:
    """One inbox rule: the client's <t:Rule> element, with the RuleId the server gave it."""

    rule_id: str
    element: ET.Element

    @property
    def display_name(self) -> str:
        return _text(self.element, "DisplayName")

    @property
    def is_enabled(self) -> bool:
        return _text(self.element, "IsEnabled").lower() in ("true", "1")


@dataclass
class Delegate:
    """A delegate of a mailbox and its folder levels (GetDelegate shape)."""

    user: str
    display_name: str
    calendar: str = "Editor"
    inbox: str = "None"


@dataclass
class Mailbox:
    """One simulated mailbox."""

    address: str
    display_name: str
    oof: Oof = field(default_factory=Oof)
    rules: list[Rule] = field(default_factory=list)
    folders: dict[str, Folder] = field(default_factory=dict)
    delegates: list[Delegate] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in FOLDERS:
            default = "FreeBusyTimeOnly" if name == "calendar" else "None"
            self.folders.setdefault(
                name,
                Folder(
                    self.address,
                    name,
                    [Permission("Default", default, True), Permission("Anonymous", "None", True)],
                ),
            )


@dataclass
class Fault:
    """A failure to answer with, once per matching request (or `times` times).

    kind: "ews" (a SOAP fault with `code`, e.g. ErrorServerBusy with back_off_ms),
    "response" (the same code in the operation's ResponseMessage), "http" (bare status,
    e.g. 401), "hang" (accept, read, never answer) or "drop" (close the socket unanswered).
    """

    kind: str
    code: str = ""
    status: int = 500
    back_off_ms: int | None = None
    operation: str | None = None
    mailbox: str | None = None
    times: int = 1

    def matches(self, operation: str, mailbox: str | None) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        return self.mailbox is None or self.mailbox == mailbox


@dataclass(frozen=True)
class Request:
    """One request as the simulator received it."""

    operation: str
    # The mailbox named by ExchangeImpersonation; None when the request had no such header.
    impersonated: str | None
    # The mailbox the operation acted on (impersonated, else named in the body, else caller).
    target: str | None
    user: str | None
    body: bytes
    # 401 (no login) and 500 (ErrorSchemaValidation) when refused before any operation ran;
    # 200 otherwise, whatever the operation then answered.
    status: int = 200
    violation: str | None = None


class SimulatorState:
    """Everything the simulator keeps in memory; tests read and change it directly."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, str] = {}
        # Service accounts holding ApplicationImpersonation, and the domains it covers.
        self.impersonators: dict[str, tuple[str, ...]] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        # (user, mailbox) pairs answered with ErrorAccessDenied.
        self.denied: set[tuple[str, str]] = set()
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        # Requests answered with ErrorSchemaValidation (clear_requests() leaves them).
        self.refused: list[Request] = []
        # What a SetFolderField of a PermissionSet does to the folder's unknown entries.
        # False (Microsoft's documentation): "The unknown entries are deleted when you reset
        # the PermissionSet", whatever the request says. True: those the request names again
        # in <t:UnknownEntries> keep their rights, the others go (nothing new is ever made from
        # a name). Which one real Exchange does is not verified; tests run both.
        self.keep_echoed_unknown_entries = False
        self._next_rule = 0

    def add_account(self, user: str, password: str, impersonates: tuple[str, ...] = ()) -> None:
        """A login the simulator accepts (Basic); `impersonates` lists domains it may act in."""
        with self.lock:
            self.accounts[user.lower()] = password
            if impersonates:
                self.impersonators[user.lower()] = tuple(d.lower() for d in impersonates)

    def add_mailbox(self, address: str, display_name: str) -> Mailbox:
        with self.lock:
            box = Mailbox(address.lower(), display_name)
            self.mailboxes[box.address] = box
            return box

    def mailbox(self, address: str | None) -> Mailbox | None:
        return self.mailboxes.get((address or "").lower())

    def leave_unknown_entry(self, address: str, folder: str, sid: str, level: str) -> None:
        """An entry of a user since deleted on a mailbox's folder (GetFolder: UnknownEntries)."""
        with self.lock:
            self.mailboxes[address.lower()].folders[folder].unknown.append(UnknownEntry(sid, level))

    def may_impersonate(self, user: str, address: str) -> bool:
        domains = self.impersonators.get(user.lower(), ())
        return address.lower().rsplit("@", 1)[-1] in domains

    def new_rule_id(self) -> str:
        with self.lock:
            self._next_rule += 1
            return f"RULE{self._next_rule}"

    def fail(self, fault: Fault) -> None:
        """Answer the next matching request(s) with this failure."""
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, operation: str, mailbox: str | None) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(operation, mailbox):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


def _text(elem: ET.Element, name: str) -> str:
    found = elem.find(f"{{http://schemas.microsoft.com/exchange/services/2006/types}}{name}")
    return (found.text or "") if found is not None else ""
