"""MailboxService: look at a mailbox before acting, over the same gateway the executor uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.errors import InvalidRequestError
from runner_api.mailbox import guardrails
from runner_api.mailbox.actions import EMAIL_PATTERN
from runner_api.mailbox.errors import MailboxUnsupportedError
from runner_api.mailbox.fixes import info_details
from runner_api.mailbox.gateway import Folder, MailboxGateway, MailboxInfo
from runner_api.mailbox.schemas import MailboxInfoRead

_EMAIL = re.compile(EMAIL_PATTERN)
T = TypeVar("T")


def read_info(
    gateway: MailboxGateway,
    customer: Customer,
    mailbox: str,
    between: Callable[[], None] = lambda: None,
) -> MailboxInfo:
    """OOF, rules, inbox counts, Calendar and Inbox ACLs and delegates; `between` runs
    before each read. What the customer's backend has no API for is named, not read."""
    unavailable: list[str] = []

    def optional(read: Callable[[], T]) -> T | None:
        between()
        try:
            return read()
        except MailboxUnsupportedError as exc:
            unavailable.append(exc.reason)
            return None

    between()
    oof = gateway.get_oof(customer, mailbox)
    between()
    rules = gateway.get_rules(customer, mailbox)
    inbox = optional(lambda: gateway.get_inbox(customer, mailbox))
    permissions = {}
    for folder in Folder:
        acl = optional(lambda folder=folder: gateway.get_permissions(customer, mailbox, folder))  # type: ignore[misc]
        if acl is not None:
            permissions[folder] = acl
    delegates = optional(lambda: gateway.get_delegates(customer, mailbox)) or []
    return MailboxInfo(
        mailbox, oof, tuple(rules), permissions, tuple(delegates), inbox, tuple(unavailable)
    )


class MailboxService:
    """Reads a mailbox for the agent's screen; never writes."""

    def __init__(self, gateway: MailboxGateway, customers: CustomerRegistry) -> None:
        self.gateway = gateway
        self._customers = customers

    def info(self, customer: str, mailbox: str) -> MailboxInfoRead:
        """What read_info returns, for a mailbox inside the customer's accepted domains."""
        found = self._customers.get(customer)
        address = mailbox.strip().lower()
        if not _EMAIL.match(address):
            raise InvalidRequestError("mailbox must be an SMTP address")
        guardrails.in_customer(found, address, "mailbox")
        return MailboxInfoRead.model_validate(info_details(read_info(self.gateway, found, address)))
