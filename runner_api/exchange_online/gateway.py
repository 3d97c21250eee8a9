"""GraphMailbox: the mailbox fixes on Exchange Online through Microsoft Graph.

Requests go through HttpGraph (runner_api/graph): the customer's `entra:` tenant and its
app's certificate, one msal token cache per tenant shared with the Entra ID fixes, 429/503
retried within `entra.max_retry_wait_s`. What Graph has no API for is refused before any
request (MailboxUnsupportedError): Inbox and other mail folder permissions, delegates,
calendar levels with no Graph role. Graph's errors become mailbox errors here, and nowhere
else.

    automatic replies   GET/PATCH /users/{m}/mailboxSettings (automaticRepliesSetting)
    forwarding          /users/{m}/mailFolders/inbox/messageRules (Fixline's rule by name)
    calendar sharing    /users/{m}/calendar/calendarPermissions (POST, PATCH role, DELETE)
    inbox counts        GET /users/{m}/mailFolders/inbox
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote

from runner_api.customers.models import Customer
from runner_api.exchange_online import values as wire
from runner_api.graph.errors import (
    GraphAuthError,
    GraphError,
    GraphNotFoundError,
    GraphRefusedError,
    GraphThrottledError,
    GraphUnavailableError,
)
from runner_api.graph.gateway import Budget
from runner_api.graph.http_gateway import HttpGraph
from runner_api.graph.run_budget import budget_of
from runner_api.mailbox.errors import (
    MailboxAccessDeniedError,
    MailboxAuthError,
    MailboxBusyError,
    MailboxNotFoundError,
    MailboxOperationError,
    MailboxUnreachableError,
    MailboxUnsupportedError,
)
from runner_api.mailbox.gateway import (
    Delegate,
    Folder,
    FolderAcl,
    InboxCounts,
    InboxRule,
    Oof,
)
from runner_api.runs.context import RunContext

T = TypeVar("T")
BACKEND = "graph"
INBOX_PERMISSIONS = (
    "Microsoft Graph has no API for Inbox (mail folder) permissions in Exchange Online: "
    "give them in the Exchange admin center or with Add-MailboxFolderPermission"
)
DELEGATES = "Microsoft Graph has no API for a mailbox's delegates in Exchange Online"
# The mail service's answers for a mailbox it does not have.
_NO_MAILBOX = {
    "MailboxNotEnabledForRESTAPI": "has no Exchange Online mailbox (unlicensed, inactive, "
    "soft-deleted or on-premises)",
    "ErrorInvalidUser": "is not a user of the customer's tenant",
    "Request_ResourceNotFound": "is not a user of the customer's tenant",
    "ResourceNotFound": "is not a user of the customer's tenant",
}


def _user(mailbox: str) -> str:
    return f"/users/{quote(mailbox, safe='@._-')}"


@contextmanager
def translated(mailbox: str, what: str) -> Iterator[None]:
    """Graph's errors as mailbox errors, with the mailbox and the step named."""
    try:
        yield
    except GraphThrottledError as exc:
        raise MailboxBusyError(
            f"Exchange Online is throttling {what} for {mailbox}: {exc.message}",
            exc.retry_after_s,
        ) from None
    except GraphUnavailableError as exc:  # the lost answer of a write included
        raise MailboxUnreachableError(f"Exchange Online unreachable: {exc.message}") from None
    except GraphAuthError as exc:
        raise MailboxAuthError(exc.message) from None
    except GraphNotFoundError as exc:
        why = _NO_MAILBOX.get(str(exc.details.get("graph_code") or ""))
        if why is None:
            raise MailboxOperationError(f"{what} for {mailbox}: {exc.message}") from None
        raise MailboxNotFoundError(f"{mailbox} {why} ({exc.message})") from None
    except GraphRefusedError as exc:
        if exc.status == 403:
            raise MailboxAccessDeniedError(
                f"the customer's app may not {what} for {mailbox} (check its Graph "
                f"permissions and Exchange RBAC for Applications): {exc.message}"
            ) from None
        raise MailboxOperationError(f"{what} for {mailbox}: {exc.message}") from None
    except GraphError as exc:
        raise MailboxOperationError(f"{what} for {mailbox}: {exc.message}") from None


class GraphMailbox:
    """MailboxGateway for Exchange Online (or the lab's Graph simulator)."""

    def __init__(self, graph: HttpGraph) -> None:
        self._graph = graph
        # The Budget of the run this thread works for (scoped): its deadline, its events.
        self._run = threading.local()

    # What this backend can do.

    def backend(self, customer: Customer) -> str:
        return BACKEND

    @contextmanager
    def scoped(self, ctx: RunContext) -> Iterator[None]:
        self._run.budget = budget_of(ctx)
        try:
            yield
        finally:
            self._run.budget = None

    def _budget(self) -> Budget:
        """The scoped run's budget; outside a run (the info page) only timeout_s bounds."""
        return getattr(self._run, "budget", None) or Budget()

    def refusal(self, customer: Customer, folder: Folder, level: str) -> str | None:
        if folder is Folder.INBOX:
            return INBOX_PERMISSIONS
        if level != "None" and level not in wire.ROLE_OF_LEVEL:
            offered = ", ".join(f"{lvl} ({role})" for lvl, role in wire.ROLE_OF_LEVEL.items())
            return (
                f"level {level} has no Microsoft Graph calendar role in Exchange Online; "
                f"Graph can give {offered}"
            )
        return None

    # Reads and writes.

    def get_oof(self, customer: Customer, mailbox: str) -> Oof:
        settings = self._read(customer, mailbox, "/mailboxSettings", "read automatic replies")
        return wire.oof_of(settings.get("automaticRepliesSetting") or {})

    def set_oof(self, customer: Customer, mailbox: str, oof: Oof) -> None:
        body = {"automaticRepliesSetting": wire.setting_of(oof)}
        self._write(customer, mailbox, "PATCH", "/mailboxSettings", "set automatic replies", body)

    def get_rules(self, customer: Customer, mailbox: str) -> list[InboxRule]:
        return [wire.rule_of(item) for item in self._rules(customer, mailbox)]

    def set_forward_rule(
        self, customer: Customer, mailbox: str, name: str, forward_to: str | None
    ) -> None:
        rules = "/mailFolders/inbox/messageRules"
        for item in self._rules(customer, mailbox):
            if item.get("displayName") == name:
                path = f"{rules}/{quote(str(item['id']), safe='')}"
                self._write(customer, mailbox, "DELETE", path, "remove the forwarding rule")
        if forward_to is not None:
            body = wire.forward_rule(name, forward_to)
            self._write(customer, mailbox, "POST", rules, "add the forwarding rule", body)

    def get_permissions(self, customer: Customer, mailbox: str, folder: Folder) -> FolderAcl:
        if folder is Folder.INBOX:
            raise MailboxUnsupportedError(INBOX_PERMISSIONS)
        # Graph lists only the entries it resolves: nothing is unresolved here.
        entries = self._calendar(customer, mailbox)
        return FolderAcl(tuple(wire.permission_of(item) for item in entries))

    def set_permission(
        self, customer: Customer, mailbox: str, folder: Folder, user: str, level: str
    ) -> None:
        reason = self.refusal(customer, folder, level)
        if reason is not None:
            raise MailboxUnsupportedError(reason)
        entries = "/calendar/calendarPermissions"
        found = [
            item
            for item in self._calendar(customer, mailbox)
            if str((item.get("emailAddress") or {}).get("address") or "").lower() == user
        ]
        what = f"change {user}'s calendar permission"
        if level == "None":
            for item in found:
                path = f"{entries}/{quote(str(item['id']), safe='')}"
                self._write(customer, mailbox, "DELETE", path, what)
            return
        role = wire.ROLE_OF_LEVEL[level]
        if found:
            # Only `role` may change on an existing entry.
            path = f"{entries}/{quote(str(found[0]['id']), safe='')}"
            self._write(customer, mailbox, "PATCH", path, what, {"role": role})
            return
        body = {
            "emailAddress": {"address": user, "name": user},
            "isInsideOrganization": True,
            "isRemovable": True,
            "role": role,
        }
        self._write(customer, mailbox, "POST", entries, what, body)

    def get_delegates(self, customer: Customer, mailbox: str) -> list[Delegate]:
        raise MailboxUnsupportedError(DELEGATES)

    def get_inbox(self, customer: Customer, mailbox: str) -> InboxCounts:
        folder = self._read(
            customer,
            mailbox,
            "/mailFolders/inbox",
            "read the inbox",
            {"$select": "totalItemCount,unreadItemCount"},
        )
        return InboxCounts(
            int(folder.get("totalItemCount") or 0), int(folder.get("unreadItemCount") or 0)
        )

    # Requests.

    def _rules(self, customer: Customer, mailbox: str) -> list[dict[str, Any]]:
        return self._list(customer, mailbox, "/mailFolders/inbox/messageRules", "read inbox rules")

    def _calendar(self, customer: Customer, mailbox: str) -> list[dict[str, Any]]:
        path = "/calendar/calendarPermissions"
        return self._list(customer, mailbox, path, "read the calendar permissions")

    def _read(
        self,
        customer: Customer,
        mailbox: str,
        path: str,
        what: str,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._guarded(
            mailbox,
            what,
            lambda: self._graph.read(customer, _user(mailbox) + path, what, self._budget(), params),
        )

    def _list(self, customer: Customer, mailbox: str, path: str, what: str) -> list[dict[str, Any]]:
        return self._guarded(
            mailbox,
            what,
            lambda: list(self._graph.items(customer, _user(mailbox) + path, what, self._budget())),
        )

    def _write(
        self,
        customer: Customer,
        mailbox: str,
        method: str,
        path: str,
        what: str,
        body: dict[str, Any] | None = None,
    ) -> None:
        self._guarded(
            mailbox,
            what,
            lambda: self._graph.send(
                customer, method, _user(mailbox) + path, what, self._budget(), json=body, write=True
            ),
        )

    @staticmethod
    def _guarded(mailbox: str, what: str, request: Callable[[], T]) -> T:
        with translated(mailbox, what):
            return request()
