"""The simulator's mailboxes as a customer's accounts, for runs against the simulator alone.

Tests of the Exchange side and the benchmark run the mailbox executor without a directory:
here every address the simulator has a mailbox for is an ordinary account (never protected,
never out of scope), and any other address is no account. The account guardrail itself is
tested against the lab's real DCs (tests/accounts).
"""

from __future__ import annotations

from lab.ews.server import EwsSimulator
from runner_api.accounts import Account
from runner_api.customers.models import Customer


class SimulatorAccounts:
    """Implements runner_api.accounts.AccountDirectory over the simulator's mailboxes."""

    def __init__(self, simulator: EwsSimulator) -> None:
        self._simulator = simulator  # its state, as it is now (tests put a fresh one in)

    def owner_of(self, customer: Customer, address: str) -> str | None:
        known = self._simulator.state.mailbox(address) is not None
        return address.split("@")[0] if known else None

    def vet(self, customer: Customer, username: str) -> Account:
        return Account(username, f"simulator:{username}")
