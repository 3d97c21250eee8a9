"""The seam to whatever knows a customer's accounts: the directory today, Graph later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner_api.catalog.models import AccountRole
from runner_api.customers.models import Customer


@dataclass(frozen=True)
class AccountRef:
    """One parameter of a run that names an account: a login, or a mail address."""

    param: str
    role: AccountRole
    value: str

    @property
    def by_address(self) -> bool:
        return "@" in self.value


@dataclass(frozen=True)
class Account:
    """An account as vetted: its login and where it lives (a DN)."""

    username: str
    location: str


class AccountDirectory(Protocol):
    """Finds and vets a customer's accounts; raises runner_api.errors domain errors only."""

    def owner_of(self, customer: Customer, address: str) -> str | None:
        """The login of the account with this mail address (mail, proxy address or UPN),
        read now; None when no account of the customer has it."""
        ...

    def vet(self, customer: Customer, username: str) -> Account:
        """The account read now; RefusedError when it is out of scope, protected or on the
        deny list, NotFoundError when there is none."""
        ...
