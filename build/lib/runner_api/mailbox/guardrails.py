"""Checks before any request: addresses inside the customer, never the service account."""

from __future__ import annotations

from runner_api.customers.models import Customer, MailboxConfig
from runner_api.errors import ConfigurationError
from runner_api.mailbox.errors import (
    ExternalForwardingError,
    MailboxRefusedError,
    OutsideCustomerError,
)


def mailbox_of(customer: Customer) -> MailboxConfig:
    """The customer's MailboxConfig; ConfigurationError when it has no Exchange configured."""
    if customer.mailbox is None:
        raise ConfigurationError(f"customer {customer.name!r} has no mailbox (Exchange) configured")
    return customer.mailbox


def domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def _accepted(customer: Customer, address: str) -> bool:
    return domain(address) in mailbox_of(customer).accepted_domains


def in_customer(customer: Customer, address: str, role: str) -> None:
    """OutsideCustomerError unless the address is in one of the customer's accepted domains."""
    if not _accepted(customer, address):
        raise OutsideCustomerError(
            f"refused: {role} {address!r} is outside the accepted domains of customer "
            f"{customer.name!r} ({', '.join(mailbox_of(customer).accepted_domains)}); "
            "nothing was changed"
        )


def forwards_outside(customer: Customer, forward_to: str) -> bool:
    """True when forwarding to this address sends mail out of the customer's domains."""
    return not _accepted(customer, forward_to)


def forwarding_allowed(customer: Customer, mailbox: str, forward_to: str, approved: bool) -> None:
    """ExternalForwardingError for forwarding out of the customer unless a second person
    approved the run (start_run holds such runs for approval)."""
    if forwards_outside(customer, forward_to) and not approved:
        raise ExternalForwardingError(
            f"refused: forwarding {mailbox!r} to {forward_to!r} would send mail outside the "
            f"accepted domains of customer {customer.name!r} "
            f"({', '.join(mailbox_of(customer).accepted_domains)}) without an approval; "
            "nothing was changed"
        )
    if forward_to.lower() == mailbox.lower():
        raise MailboxRefusedError(f"refused: {mailbox!r} cannot forward to itself")


def not_service_account(mailbox: str, service_user: str) -> None:
    """Refuse to act on the service account's own mailbox: every fix targets a user's."""
    if mailbox.strip().lower() == service_user.strip().lower():
        raise MailboxRefusedError(
            f"refused: {mailbox!r} is Fixline's own service account; fixes act on users' "
            "mailboxes only; nothing was changed"
        )
