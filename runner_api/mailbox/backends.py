"""MailboxBackends: one MailboxGateway that sends each customer's calls to its backend.

`mailbox.backend` of a customer's fixline.yml: `ews` (on-premises Exchange, EwsMailbox) or
`graph` (Exchange Online through Microsoft Graph, GraphMailbox). The executor, the picker
and the info page see one gateway; a run records which backend it went through.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from runner_api.customers.models import Customer, MailboxBackend
from runner_api.errors import ConfigurationError
from runner_api.mailbox.gateway import (
    Delegate,
    Folder,
    FolderAcl,
    InboxCounts,
    InboxRule,
    MailboxGateway,
    Oof,
)
from runner_api.runs.context import RunContext


class MailboxBackends:
    """MailboxGateway choosing EWS or Graph per customer."""

    def __init__(self, ews: MailboxGateway, graph: MailboxGateway | None = None) -> None:
        self._ews = ews
        self._graph = graph

    def _of(self, customer: Customer) -> MailboxGateway:
        config = customer.mailbox
        if config is None or config.backend is MailboxBackend.EWS:
            return self._ews  # EwsMailbox says what is missing itself
        if self._graph is None:
            raise ConfigurationError("this process has no Microsoft Graph gateway")
        return self._graph

    def backend(self, customer: Customer) -> str:
        return self._of(customer).backend(customer)

    def scoped(self, ctx: RunContext) -> AbstractContextManager[None]:
        return self._of(ctx.customer).scoped(ctx)

    def refusal(self, customer: Customer, folder: Folder, level: str) -> str | None:
        return self._of(customer).refusal(customer, folder, level)

    def get_oof(self, customer: Customer, mailbox: str) -> Oof:
        return self._of(customer).get_oof(customer, mailbox)

    def set_oof(self, customer: Customer, mailbox: str, oof: Oof) -> None:
        self._of(customer).set_oof(customer, mailbox, oof)

    def get_rules(self, customer: Customer, mailbox: str) -> list[InboxRule]:
        return self._of(customer).get_rules(customer, mailbox)

    def set_forward_rule(
        self, customer: Customer, mailbox: str, name: str, forward_to: str | None
    ) -> None:
        self._of(customer).set_forward_rule(customer, mailbox, name, forward_to)

    def get_permissions(self, customer: Customer, mailbox: str, folder: Folder) -> FolderAcl:
        return self._of(customer).get_permissions(customer, mailbox, folder)

    def set_permission(
        self, customer: Customer, mailbox: str, folder: Folder, user: str, level: str
    ) -> None:
        self._of(customer).set_permission(customer, mailbox, folder, user, level)

    def get_delegates(self, customer: Customer, mailbox: str) -> list[Delegate]:
        return self._of(customer).get_delegates(customer, mailbox)

    def get_inbox(self, customer: Customer, mailbox: str) -> InboxCounts:
        return self._of(customer).get_inbox(customer, mailbox)
