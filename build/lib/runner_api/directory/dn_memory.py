"""Where accounts live: username -> DN, remembered briefly per customer directory.

An account's DN changes rarely (a move or a rename), and finding it costs a subtree search
before every fix. Only the DN is remembered: everything a guardrail decides on is read
fresh at it, and guardrails.locate looks the DN up again when the entry read there is not
that account any more.

The same map, keyed by DN, keeps a manager's name and mail for the notices a fix sends
(see LdapDirectory.read_person): nothing a guardrail decides on.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory.connections import directory_of

# Long enough for the fix an agent starts after the picker's search found the account.
DN_MEMORY_S = 300.0
_MAX_ENTRIES = 10_000

_Key = tuple[str, DirectoryConfig, str]
V = TypeVar("V")


class DnMemory(Generic[V]):
    """Thread-safe, bounded, expiring map of a customer directory's names (a login, a DN)
    to what was found there: username -> DN, and, for notices only, DN -> Person."""

    def __init__(self, ttl_s: float = DN_MEMORY_S, max_entries: int = _MAX_ENTRIES) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._lock = threading.Lock()
        self._dns: OrderedDict[_Key, tuple[float, V]] = OrderedDict()

    def get(self, customer: Customer, name: str) -> V | None:
        """What was remembered for the name, unless it expired."""
        key = _key(customer, name)
        with self._lock:
            found = self._dns.get(key)
            if found is None:
                return None
            if found[0] <= time.monotonic():
                del self._dns[key]
                return None
            return found[1]

    def put(self, customer: Customer, name: str, value: V | None) -> None:
        """Remember what was found for the name (None: forget it)."""
        key = _key(customer, name)
        with self._lock:
            self._dns.pop(key, None)
            if value is None:
                return
            self._dns[key] = (time.monotonic() + self._ttl_s, value)
            while len(self._dns) > self._max:
                self._dns.popitem(last=False)


def _key(customer: Customer, name: str) -> _Key:
    # Keyed by the directory settings too: a changed base DN or URL starts afresh.
    return customer.name, directory_of(customer), name.lower()
