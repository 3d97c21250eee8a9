"""The picker's Entra ID side (directory.cloud.CloudDirectory): a Graph search, then each
account's groups and roles read concurrently and judged by the fixes' own guardrail rules.

Every call of one search shares a deadline of the customer's `entra.timeout_s`: a stalled or
throttled Graph ends the search with its GraphError instead of holding the agent's page.
The protection shown is an early warning; the executor reads it again before any write.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from typing import TypeVar

from runner_api.customers.models import Customer
from runner_api.directory.cloud import CloudAccount
from runner_api.entra import guardrails
from runner_api.graph.errors import GraphAmbiguousError, GraphNotFoundError, GraphUnavailableError
from runner_api.graph.gateway import Budget, CloudUser, GraphGateway
from runner_api.graph.http_gateway import entra_of

In = TypeVar("In")
Out = TypeVar("Out")
# Graph reads in flight at once per search: enough for a page of results without
# inviting Graph's throttling.
MAX_READS = 8


class EntraUsers:
    """Finds a customer's Entra ID accounts for the picker, each with its protection."""

    def __init__(self, graph: GraphGateway, max_reads: int = MAX_READS) -> None:
        self._graph = graph
        self._max_reads = max_reads

    def search(self, customer: Customer, text: str, limit: int) -> list[CloudAccount]:
        budget = _budget(customer)
        found = self._graph.search_users(customer, text, limit, budget=budget)
        return self._accounts(customer, found, budget)

    def synced_from(self, customer: Customer, sam_account_names: list[str]) -> list[CloudAccount]:
        budget = _budget(customer)

        def synced(sam: str) -> CloudUser | None:
            try:
                return self._graph.find_synced_user(customer, sam, budget=budget)
            except GraphAmbiguousError:
                # Two cloud accounts claim it (a broken sync): neither is its copy here;
                # a fix on it is refused with that reason.
                return None

        copies = self._each(customer, sam_account_names, synced, budget)
        return self._accounts(customer, [user for user in copies if user is not None], budget)

    def _accounts(
        self, customer: Customer, users: list[CloudUser], budget: Budget
    ) -> list[CloudAccount]:
        # Outside the accepted domains (guests, other tenants' domains) agents touch nothing.
        mine = [user for user in users if guardrails.in_domains(customer, user.upn)]

        def account(user: CloudUser) -> CloudAccount | None:
            try:
                found = self._graph.memberships(customer, user.id, budget=budget)
            except GraphNotFoundError:
                return None  # deleted since the search
            return CloudAccount(
                upn=user.upn,
                display_name=user.display_name,
                mail=user.mail,
                enabled=user.account_enabled,
                synced=user.on_premises_sync_enabled,
                sam_account_name=user.on_premises_sam_account_name,
                groups=tuple(sorted(group.name for group in found.groups)),
                protection=guardrails.protection(customer, user, found.groups, found.roles),
            )

        return [a for a in self._each(customer, mine, account, budget) if a is not None]

    def _each(
        self, customer: Customer, items: list[In], read: Callable[[In], Out], budget: Budget
    ) -> list[Out]:
        """read(item) for every item, at most max_reads at once, in the items' order; the
        first GraphError raised is raised; no wait past the budget's deadline."""
        if not items:
            return []
        pool = concurrent.futures.ThreadPoolExecutor(
            min(self._max_reads, len(items)), thread_name_prefix="picker-graph"
        )
        try:
            futures = [pool.submit(read, item) for item in items]
            left = max(0.0, budget.deadline - time.monotonic())
            # The gateway bounds every request by the deadline; a little more for its threads.
            done, late = concurrent.futures.wait(futures, timeout=left + 1.0)
            for future in futures:
                if future in done:
                    future.result()  # the first failure, in order
            if late:
                timeout = entra_of(customer).timeout_s
                raise GraphUnavailableError(
                    f"Graph unavailable: {len(late)} read(s) had no answer within {timeout:g} s "
                    "(entra.timeout_s)"
                )
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _budget(customer: Customer) -> Budget:
    return Budget(deadline=time.monotonic() + entra_of(customer).timeout_s)
