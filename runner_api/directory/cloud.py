"""The picker's seam to a customer's Entra ID: owned here, implemented by runner_api.entra
(the picker sits below the Graph gateway, so it names what it needs instead of importing it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner_api.customers.models import Customer


@dataclass(frozen=True)
class CloudAccount:
    """One Entra ID account as the picker shows it."""

    upn: str
    display_name: str | None
    mail: str | None
    enabled: bool
    # onPremisesSyncEnabled: mastered in AD, where its sAMAccountName names it.
    synced: bool
    sam_account_name: str | None
    # Every group, nested included (transitiveMemberOf).
    groups: tuple[str, ...]
    # The Entra ID guardrails' verdict on the account, read now (None: not protected).
    protection: str | None


class CloudDirectory(Protocol):
    """Finds a customer's Entra ID accounts for the picker.

    Raises ExecutorError (Graph throttled, unreachable, too slow, refused) or
    ConfigurationError (no tenant or credential); never takes longer than the customer's
    `entra.timeout_s`."""

    def search(self, customer: Customer, text: str, limit: int) -> list[CloudAccount]:
        """Accounts in the customer's accepted domains whose name, UPN or mail starts with
        `text` words, each with its protection."""
        ...

    def synced_from(self, customer: Customer, sam_account_names: list[str]) -> list[CloudAccount]:
        """The accounts synced from these on-premises sAMAccountNames (those that have one)."""
        ...
