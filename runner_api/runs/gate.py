"""What start_run asks of a second person's approval, as a Protocol owned by runs.

approvals/ implements it (ApprovalGate); runs imports nothing of approvals, so the
approvals feature builds on the run spine and never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from runner_api.audit.sink import AuditEvent
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer
from runner_api.database import Base
from runner_api.runs.models import Run


@dataclass(frozen=True)
class Hold:
    """A run that waits: its details meanwhile, and what is written with it."""

    details: dict[str, Any]
    rows: Sequence[Base]
    records: Sequence[AuditEvent]


class Gate(Protocol):
    def hold(
        self,
        run: Run,
        spec: ActionSpec,
        customer: Customer,
        params: Mapping[str, Any],
        target: str,
        sealable: Mapping[str, Any],
        person: str,
    ) -> Hold | None:
        """How the run waits for a second person, or None when no rule asks for one.
        `sealable`: the parameters to keep for later (secrets in clear); `person`: who
        stands behind the requester."""
        ...

    def withdrawn(
        self, run: Run, by: str, by_id: str | None = None
    ) -> tuple[list[Base], list[AuditEvent]]:
        """Rows and records that close the wait of a run canceled while it waited."""
        ...
