"""DirectoryService: the picker search, over the same gateway the executor uses."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.directory import filters, guardrails
from runner_api.directory.connections import directory_of
from runner_api.directory.gateway import DirectoryGateway, GroupEntry, UserEntry
from runner_api.directory.schemas import DirectoryUser, Origin
from runner_api.errors import InvalidRequestError

MAX_LIMIT = 50
MAX_QUERY = 64
# Privileged group DNs change rarely; re-read them this often per customer.
_GROUPS_TTL_S = 600.0


class DirectoryService:
    """Finds users for pickers, only inside the customer's user OUs."""

    def __init__(self, gateway: DirectoryGateway, customers: CustomerRegistry) -> None:
        self.gateway = gateway
        self._customers = customers
        self._groups: dict[str, tuple[float, list[GroupEntry]]] = {}
        self._lock = threading.Lock()

    def search_users(self, customer: str, q: str, limit: int = 20) -> list[DirectoryUser]:
        """Users whose name, login or email matches `q` (escaped), with a protected flag."""
        found = self._customers.get(customer)
        return self._views(found, filters.picker(query_text(q)), clamp(limit))

    def users_named(self, customer: Customer, usernames: list[str]) -> list[DirectoryUser]:
        """The users with these sAMAccountNames, only inside the user OUs."""
        if not usernames:
            return []
        return self._views(customer, filters.users_by_login(usernames), len(usernames))

    def _views(self, customer: Customer, ldap_filter: str, limit: int) -> list[DirectoryUser]:
        users = self.gateway.search(customer, ldap_filter, limit)
        if not users:
            return []
        protected = self._protected_dns(customer, users)
        deny = {name.lower() for name in directory_of(customer).deny_list}
        return [
            _view(user, user.dn.lower() in protected or user.username.lower() in deny)
            for user in users
        ]

    def _protected_dns(self, customer: Customer, users: list[UserEntry]) -> set[str]:
        # One more search: the users found, narrowed to privileged ones (nested included).
        # The executor decides on tokenGroups itself; this flag only warns the agent early.
        groups = self._privileged(customer, users[0].domain_sid)
        terms = ["(adminCount=1)"]
        terms += [filters.member_of(group.dn, nested=True) for group in groups]
        terms += [f"(primaryGroupID={rid})" for rid in guardrails.PROTECTED_DOMAIN_RIDS]
        found = [f"(distinguishedName={filters.value(user.dn)})" for user in users]
        narrowed = f"(&{filters.any_of(found)}{filters.any_of(terms)})"
        hits = self.gateway.search(customer, narrowed, len(users))
        return {user.dn.lower() for user in hits}

    def _privileged(self, customer: Customer, domain_sid: str) -> list[GroupEntry]:
        with self._lock:
            cached = self._groups.get(customer.name)
        if cached is not None and time.monotonic() - cached[0] < _GROUPS_TTL_S:
            return cached[1]
        groups = guardrails.privileged_groups(self.gateway, customer, domain_sid)
        with self._lock:
            self._groups[customer.name] = (time.monotonic(), groups)
        return groups


def query_text(q: str) -> str:
    """The picker's search text, stripped; InvalidRequestError unless 1 to 64 characters."""
    text = q.strip()
    if not text or len(text) > MAX_QUERY:
        raise InvalidRequestError(f"q must be 1 to {MAX_QUERY} characters")
    return text


def clamp(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _view(user: UserEntry, protected: bool) -> DirectoryUser:
    set_at = filters.filetime(user.pwd_last_set)
    age = (datetime.now(UTC) - set_at).days if set_at is not None else None
    return DirectoryUser(
        username=user.username,
        origin=Origin.ACTIVE_DIRECTORY,
        display_name=user.display_name,
        mail=user.mail,
        enabled=user.enabled,
        locked=user.locked,
        last_logon=user.last_logon,
        password_age_days=age,
        must_change_password=user.must_change_password,
        groups=sorted(filters.rdn_value(dn) for dn in user.member_of),
        protected=protected or user.admin_count == 1,
    )
