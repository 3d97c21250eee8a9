"""AccountDirectory over Entra ID, and the one that asks AD or Entra ID by the customer's
identity: the accounts any action names (a mailbox's owner, a colleague, a recipient) get
the same guardrails as a directory fix's target in the system where they live.

identity  owner of an address              vet
ad        AD (mail, proxy address, UPN)    AD
entra     Entra ID (UPN, then mail)        Entra ID
hybrid    AD, else Entra ID (cloud-only)   AD for a login; Entra ID for a UPN; and for a
                                           synced account also Entra ID's roles and groups
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from runner_api.accounts import Account, AccountDirectory
from runner_api.customers.models import Customer, Identity
from runner_api.entra import guardrails
from runner_api.graph.gateway import UNBOUNDED, CloudUser, GraphGateway

# How long an account read by address may stand for the next read of it. A run reads its
# mailbox's owner when it starts (the VIP hold) and again when it runs (the guardrail),
# usually within milliseconds; what protects an account (its roles and groups) is read anew
# for every run all the same.
FOUND_FRESH_S = 2.0
_FOUND_KEPT = 256


class EntraAccounts:
    """Implements AccountDirectory with the Entra ID guardrails of the directory fixes."""

    def __init__(self, graph: GraphGateway) -> None:
        self._graph = graph
        self._lock = threading.Lock()
        self._found: OrderedDict[tuple[str, str], tuple[float, CloudUser]] = OrderedDict()

    def owner_of(self, customer: Customer, address: str) -> str | None:
        if not guardrails.in_domains(customer, address):
            return None
        user = self._recent(customer, address)
        if user is None:
            user = self._graph.find_user(customer, address) or self._graph.find_by_mail(
                customer, address
            )
            if user is None:
                return None
            self._keep(customer, address, user)
        return user.upn

    def vet(self, customer: Customer, username: str) -> Account:
        user = self._recent(customer, username) or guardrails.locate(
            self._graph, customer, username, UNBOUNDED
        )
        guardrails.check_target(self._graph, customer, user, UNBOUNDED)
        return Account(user.upn, user.id)

    def _recent(self, customer: Customer, name: str) -> CloudUser | None:
        with self._lock:
            found = self._found.get((customer.name, name.lower()))
        if found is None or time.monotonic() - found[0] > FOUND_FRESH_S:
            return None
        return found[1]

    def _keep(self, customer: Customer, address: str, user: CloudUser) -> None:
        now = time.monotonic()
        with self._lock:
            for name in {address.lower(), user.upn.lower()}:
                self._found[(customer.name, name)] = (now, user)
                self._found.move_to_end((customer.name, name))
            while len(self._found) > _FOUND_KEPT:
                self._found.popitem(last=False)

    def vet_synced(self, customer: Customer, sam_account_name: str) -> None:
        """Entra ID's guardrails for the cloud side of an on-premises account, if synced."""
        user = self._graph.find_synced_user(customer, sam_account_name)
        if user is not None:
            guardrails.check_target(self._graph, customer, user, UNBOUNDED)


class IdentityAccounts:
    """AccountDirectory by the customer's identity (see the module's table)."""

    def __init__(self, directory: AccountDirectory, entra: EntraAccounts | None) -> None:
        self._directory = directory
        self._entra = entra

    def _cloud(self, customer: Customer) -> EntraAccounts | None:
        return None if customer.identity is Identity.AD else self._entra

    def owner_of(self, customer: Customer, address: str) -> str | None:
        cloud = self._cloud(customer)
        if customer.identity is Identity.ENTRA and cloud is not None:
            return cloud.owner_of(customer, address)
        owner = self._directory.owner_of(customer, address)
        if owner is None and cloud is not None:
            return cloud.owner_of(customer, address)
        return owner

    def vet(self, customer: Customer, username: str) -> Account:
        cloud = self._cloud(customer)
        if cloud is None:
            return self._directory.vet(customer, username)
        if customer.identity is Identity.ENTRA or "@" in username:
            return cloud.vet(customer, username)
        account = self._directory.vet(customer, username)
        cloud.vet_synced(customer, username)
        return account
