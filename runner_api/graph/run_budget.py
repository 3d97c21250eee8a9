"""A run's Budget for its Graph calls: the run's deadline, and each call one of its events.

Every Graph-backed fix (Entra ID, Exchange Online) records its calls the same way: method,
path, status, Graph's request-id and our client-request-id, and the time taken; never a
body.
"""

from __future__ import annotations

from runner_api.graph.gateway import Budget, GraphCall
from runner_api.runs.context import RunContext
from runner_api.runs.steps import emit


def budget_of(ctx: RunContext) -> Budget:
    """The run's deadline for every Graph call; each call an event with its ids (no body)."""

    def record(call: GraphCall) -> None:
        emit(
            ctx,
            "graph",
            f"{call.method} {call.path}: {call.status or 'no answer'} in {call.elapsed_ms:g} ms",
            method=call.method,
            path=call.path,
            status=call.status,
            request_id=call.request_id,
            client_request_id=call.client_request_id,
            elapsed_ms=call.elapsed_ms,
        )

    return Budget(ctx.deadline, record)
