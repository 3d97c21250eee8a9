"""FakeMailbox: MailboxGateway in memory, seeded like the lab's EWS simulator.

One Exchange organisation for every customer, as the simulator is: the mailboxes lab/ews
seeds (its PEOPLE and each site's service account, anna.schmidt with a delegate and a
calendar permission), each customer's service login allowed to impersonate its own domain
only. Errors are the ones EwsMailbox raises, made by the product's own translate() from the
exchangelib exception the simulator's answer would have become: an unknown mailbox, one of
another customer's domain (impersonation refused), the service account's own mailbox,
access denied, a wrong service password (401), a level or user Exchange refuses.

Tests steer it with fail_next(operation, error), deny(mailbox), set_down(customer) and
add_rule(...), and read it with mailbox(address) and writes. Thread-safe.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from exchangelib import errors as ews
from pydantic import SecretStr

from lab.ews import SITES, MailboxSite, SimulatorState, seed
from lab.ews.state import CALENDAR_LEVELS, FOLDER_LEVELS, Mailbox
from runner_api.customers.models import Customer
from runner_api.errors import ConfigurationError
from runner_api.mailbox.errors import translate
from runner_api.mailbox.gateway import (
    Audience,
    Delegate,
    Folder,
    FolderAcl,
    FolderPermission,
    InboxCounts,
    InboxRule,
    Oof,
    OofState,
)
from runner_api.mailbox.guardrails import mailbox_of, not_service_account
from runner_api.runs.context import RunContext
from runner_api.secrets.credentials import CredentialSource, MailboxCredential
from tests.fakes.faults import Fault, Faults

T = TypeVar("T")
MAILBOX_OPERATIONS = frozenset(
    {
        "get_oof", "set_oof", "get_rules", "set_forward_rule", "get_permissions",
        "set_permission", "get_delegates",
    }
)  # fmt: skip
WRITES = frozenset({"set_oof", "set_forward_rule", "set_permission"})


@dataclass
class FakeBox:
    """One mailbox: what EWS would answer of it."""

    address: str
    display_name: str
    oof: Oof = field(default_factory=lambda: Oof(OofState.DISABLED))
    rules: list[InboxRule] = field(default_factory=list)
    permissions: dict[Folder, list[FolderPermission]] = field(default_factory=dict)
    # Entries Exchange cannot resolve (UnknownEntries); a write drops them, as Microsoft
    # documents and the simulator does by default.
    unresolved: dict[Folder, list[str]] = field(default_factory=dict)
    delegates: list[Delegate] = field(default_factory=list)


@dataclass(frozen=True)
class Write:
    customer: str
    operation: str
    mailbox: str


def _seconds(value: datetime | None) -> datetime | None:
    # Exchange keeps whole seconds, in UTC.
    return value.astimezone(UTC).replace(microsecond=0) if value is not None else None


def _fake_box(box: Mailbox) -> FakeBox:
    """A simulator mailbox as a FakeBox (the Calendar and Inbox ACLs, the delegates)."""
    permissions = {
        folder: [
            FolderPermission(p.user, p.level, p.distinguished)
            for p in box.folders[folder.value].permissions
        ]
        for folder in Folder
    }
    unresolved = {
        folder: [entry.sid for entry in box.folders[folder.value].unknown] for folder in Folder
    }
    delegates = [Delegate(d.user, d.display_name, d.calendar, d.inbox) for d in box.delegates]
    return FakeBox(
        box.address, box.display_name, permissions=permissions, unresolved=unresolved,
        delegates=delegates,
    )  # fmt: skip


def _seeded() -> dict[str, FakeBox]:
    """The simulator's own seed (lab/ews/lab.py), as FakeBoxes."""
    state = SimulatorState()
    for site in SITES.values():
        seed(state, site, "unused")
    return {address: _fake_box(box) for address, box in state.mailboxes.items()}


class FakeMailbox:
    """MailboxGateway over in-memory mailboxes of the lab customers (lab, contoso)."""

    def __init__(self, sites: Iterable[MailboxSite] = tuple(SITES.values())) -> None:
        self._lock = threading.RLock()
        self._sites = {site.customer: site for site in sites}
        # Each customer's service login: the password the fake Exchange accepts.
        self._passwords = {name: secrets.token_urlsafe(18) for name in self._sites}
        self._boxes = _seeded()
        self._faults = Faults("MailboxGateway", MAILBOX_OPERATIONS, WRITES)
        self._denied: set[str] = set()
        self._down: set[str] = set()
        self._credentials: CredentialSource | None = None
        self._next_rule = 0
        self.writes: list[Write] = []

    # --- steering and inspection (tests) ---

    def use_credentials(self, credentials: CredentialSource | None) -> None:
        """Log in with the customer's mailbox credential from this source, as EwsMailbox
        does: none is a ConfigurationError, a wrong password an HTTP 401."""
        with self._lock:
            self._credentials = credentials

    def service_credential(self, customer: str) -> MailboxCredential:
        """The service login the fake Exchange accepts for a customer."""
        site = self._sites[customer]
        return MailboxCredential(site.service_user, SecretStr(self._passwords[customer]))

    def fail_next(
        self, operation: str, error: Exception, *, applied: bool = False, mailbox: str | None = None
    ) -> None:
        """The next call of a gateway method (on that mailbox) raises `error`."""
        self._faults.add(operation, error, mailbox.lower() if mailbox else None, applied)

    def deny(self, mailbox: str) -> None:
        """Exchange answers ErrorAccessDenied on this mailbox."""
        with self._lock:
            self._denied.add(mailbox.lower())

    def set_down(self, customer: str, down: bool = True) -> None:
        """The customer's Exchange stops answering (every call: unreachable), or is back."""
        with self._lock:
            (self._down.add if down else self._down.discard)(customer)

    @staticmethod
    def unreachable(customer: Customer, mailbox: str) -> Exception:
        """The error EwsMailbox raises when Exchange does not answer in time."""
        return _translated(customer, mailbox, ews.ErrorTimeoutExpired("timed out"))

    @staticmethod
    def busy(customer: Customer, mailbox: str, back_off_s: float) -> Exception:
        """ErrorServerBusy with the server's back-off, as EwsMailbox raises it."""
        return _translated(customer, mailbox, ews.ErrorServerBusy("busy", back_off=back_off_s))

    def mailbox(self, address: str) -> FakeBox:
        """One mailbox's state (a live object: read it under no other thread's write)."""
        with self._lock:
            return self._boxes[address.lower()]

    def add_mailbox(self, address: str, display_name: str) -> FakeBox:
        with self._lock:
            box = _fake_box(SimulatorState().add_mailbox(address, display_name))
            self._boxes[box.address] = box
            return box

    def add_rule(
        self,
        address: str,
        name: str,
        forward_to: tuple[str, ...] = (),
        redirect_to: tuple[str, ...] = (),
        enabled: bool = True,
    ) -> InboxRule:
        """An inbox rule someone else made (the user, or another tool)."""
        with self._lock:
            rule = InboxRule(self._rule_id(), name, enabled, forward_to, redirect_to)
            self._boxes[address.lower()].rules.append(rule)
            return rule

    # --- plumbing ---

    def _rule_id(self) -> str:
        self._next_rule += 1
        return f"RULE{self._next_rule}"

    def _login(self, customer: Customer) -> str:
        """The service user a customer's calls log in as (EwsMailbox._config)."""
        mailbox_of(customer)
        if self._credentials is not None:
            return self._credentials.mailbox_credential(customer.name).username
        site = self._sites.get(customer.name)
        if site is None:
            raise ConfigurationError(f"no mailbox credential for customer {customer.name!r}")
        return site.service_user

    def _authenticated(self, customer: Customer, user: str) -> MailboxSite | None:
        """The site whose service login this is, if its password is right (else a 401)."""
        if self._credentials is None:
            return self._sites.get(customer.name)
        credential = self._credentials.mailbox_credential(customer.name)
        for name, site in self._sites.items():
            if site.service_user == user.lower() and (
                credential.password.get_secret_value() == self._passwords[name]
            ):
                return site
        return None

    def _box(
        self, customer: Customer, mailbox: str, operation: str
    ) -> tuple[FakeBox, Fault | None]:
        """What the simulator checks before an operation, in its order."""
        user = self._login(customer)
        not_service_account(mailbox, user)
        if customer.name in self._down:
            raise self.unreachable(customer, mailbox)
        site = self._authenticated(customer, user)
        if site is None:
            raise _translated(customer, mailbox, ews.UnauthorizedError("401"))
        address = mailbox.lower()
        fault = self._faults.take(operation, address)
        if fault is not None and not fault.applied:
            raise fault.error
        box = self._boxes.get(address)
        if box is None:
            raise _translated(
                customer,
                mailbox,
                ews.ErrorNonExistentMailbox(f"The SMTP address has no mailbox: {address}"),
            )
        if address.rsplit("@", 1)[-1] != site.domain:
            raise _translated(
                customer,
                mailbox,
                ews.ErrorImpersonateUserDenied("The account does not have permission."),
            )
        if address in self._denied:
            raise _translated(customer, mailbox, ews.ErrorAccessDenied("Access is denied."))
        return box, fault

    def _call(
        self, customer: Customer, mailbox: str, operation: str, op: Callable[[FakeBox], T]
    ) -> T:
        with self._lock:
            box, fault = self._box(customer, mailbox, operation)
            answer = op(box)
            if operation in WRITES:
                self.writes.append(Write(customer.name, operation, box.address))
            if fault is not None:  # applied, and then the answer was lost
                raise fault.error
            return answer

    # --- MailboxGateway ---

    def backend(self, customer: Customer) -> str:
        return "ews"

    def scoped(self, ctx: RunContext) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def refusal(self, customer: Customer, folder: Folder, level: str) -> str | None:
        return None

    def get_inbox(self, customer: Customer, mailbox: str) -> InboxCounts:
        # The EWS simulator keeps no messages: its inbox is empty, as here.
        return self._call(customer, mailbox, "get_inbox", lambda box: InboxCounts(0, 0))

    def get_oof(self, customer: Customer, mailbox: str) -> Oof:
        def op(box: FakeBox) -> Oof:
            oof = box.oof
            if oof.state is OofState.SCHEDULED:
                return oof
            return replace(oof, start=None, end=None)

        return self._call(customer, mailbox, "get_oof", op)

    def set_oof(self, customer: Customer, mailbox: str, oof: Oof) -> None:
        def op(box: FakeBox) -> None:
            old = box.oof
            if oof.state is OofState.DISABLED:
                # exchangelib sends the state and its default audience (All): the replies
                # and times stay, as on Exchange.
                box.oof = replace(old, state=OofState.DISABLED, audience=Audience.ALL)
                return
            start, end = _seconds(oof.start), _seconds(oof.end)
            if oof.state is OofState.SCHEDULED and (start is None or end is None or start >= end):
                raise _translated(
                    customer, mailbox, ews.ErrorInvalidScheduledOofDuration("start >= end")
                )
            box.oof = Oof(
                state=oof.state,
                audience=oof.audience,
                internal_message=oof.internal_message or old.internal_message,
                external_message=oof.external_message or old.external_message,
                start=start or old.start,
                end=end or old.end,
            )

        self._call(customer, mailbox, "set_oof", op)

    def get_rules(self, customer: Customer, mailbox: str) -> list[InboxRule]:
        return self._call(customer, mailbox, "get_rules", lambda box: list(box.rules))

    def set_forward_rule(
        self, customer: Customer, mailbox: str, name: str, forward_to: str | None
    ) -> None:
        def op(box: FakeBox) -> None:
            box.rules = [rule for rule in box.rules if rule.name != name]
            if forward_to is not None:
                box.rules.append(InboxRule(self._rule_id(), name, True, (forward_to.lower(),)))

        self._call(customer, mailbox, "set_forward_rule", op)

    def get_permissions(self, customer: Customer, mailbox: str, folder: Folder) -> FolderAcl:
        def op(box: FakeBox) -> FolderAcl:
            return FolderAcl(tuple(box.permissions[folder]), tuple(box.unresolved.get(folder, [])))

        return self._call(customer, mailbox, "get_permissions", op)

    def set_permission(
        self, customer: Customer, mailbox: str, folder: Folder, user: str, level: str
    ) -> None:
        def op(box: FakeBox) -> None:
            levels = CALENDAR_LEVELS if folder is Folder.CALENDAR else FOLDER_LEVELS
            if level not in levels:
                raise _translated(
                    customer,
                    mailbox,
                    ews.ErrorSchemaValidation(f"'{level}' is not a valid permission level."),
                )
            kept = [p for p in box.permissions[folder] if p.distinguished or p.user != user.lower()]
            if level != "None":
                if user.lower() not in self._boxes:
                    raise _translated(
                        customer, mailbox, ews.ErrorInvalidUserInfo(f"no such user: {user}")
                    )
                kept.append(FolderPermission(user.lower(), level))
            box.permissions[folder] = kept
            box.unresolved[folder] = []

        self._call(customer, mailbox, "set_permission", op)

    def get_delegates(self, customer: Customer, mailbox: str) -> list[Delegate]:
        return self._call(customer, mailbox, "get_delegates", lambda box: list(box.delegates))


def _translated(customer: Customer, mailbox: str, exc: Exception) -> Exception:
    """The MailboxError EwsMailbox raises for this exchangelib exception."""
    settings = mailbox_of(customer)
    return translate(exc, settings.ews_url, mailbox, settings.timeout_s)


__all__ = ["FakeBox", "FakeMailbox", "Write"]
