"""DnMemory: expiring, bounded, per customer directory, case-insensitive on the login."""

from __future__ import annotations

import dataclasses
import time

from runner_api.directory.dn_memory import DnMemory
from tests.directory.conftest import lab_customer

DN = "CN=Paul Dubois,OU=Marketing,OU=Staff,DC=lab,DC=test"


def test_remembers_forgets_and_expires() -> None:
    memory = DnMemory(ttl_s=0.2)
    customer = lab_customer()
    assert memory.get(customer, "paul.dubois") is None
    memory.put(customer, "Paul.Dubois", DN)
    assert memory.get(customer, "paul.dubois") == DN
    memory.put(customer, "paul.dubois", None)
    assert memory.get(customer, "paul.dubois") is None
    memory.put(customer, "paul.dubois", DN)
    time.sleep(0.25)
    assert memory.get(customer, "paul.dubois") is None


def test_keyed_by_the_directory_settings_and_bounded() -> None:
    memory = DnMemory(max_entries=2)
    customer = lab_customer()
    memory.put(customer, "paul.dubois", DN)
    # Another base DN or URL for the same customer name starts afresh.
    assert customer.directory is not None
    other = dataclasses.replace(customer.directory, base_dn="DC=other,DC=test")
    moved = dataclasses.replace(customer, directory=other)
    assert memory.get(moved, "paul.dubois") is None
    assert memory.get(lab_customer("contoso"), "paul.dubois") is None
    memory.put(customer, "a", "CN=a")
    memory.put(customer, "b", "CN=b")
    assert memory.get(customer, "paul.dubois") is None  # the oldest went first
    assert memory.get(customer, "b") == "CN=b"
