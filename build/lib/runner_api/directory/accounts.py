"""AccountDirectory over the customer's Active Directory: the directory's own guardrails,
for the accounts any action names (a mailbox's owner, a colleague, a recipient)."""

from __future__ import annotations

from runner_api.accounts import Account
from runner_api.customers.models import Customer
from runner_api.directory import guardrails
from runner_api.directory.gateway import DirectoryGateway


class DirectoryAccounts:
    """Implements runner_api.accounts.AccountDirectory with guardrails.locate/check_target."""

    def __init__(self, gateway: DirectoryGateway) -> None:
        self._gateway = gateway

    def owner_of(self, customer: Customer, address: str) -> str | None:
        return self._gateway.find_login(customer, address)

    def vet(self, customer: Customer, username: str) -> Account:
        # Exactly what a directory action's target goes through: scope, then protection.
        user = guardrails.locate(self._gateway, customer, username)
        guardrails.check_target(self._gateway, customer, user)
        return Account(user.username, user.dn)
