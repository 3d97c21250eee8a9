"""What start_run needs of approvals: the rules, and the sealed row of a run that waits.

The parameters of a waiting run (secrets in clear) are needed again once it is approved,
possibly by another process: they wait sealed in its approval row, bound to that row, and
are wiped when it is decided, expires or is canceled: a secret is kept no longer than its
run needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from runner_api.approvals.models import Approval, ApprovalStatus
from runner_api.approvals.rules import ApprovalRules, Reason
from runner_api.audit.sink import AuditEvent
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer
from runner_api.database import Base, Database
from runner_api.runs.gate import Hold
from runner_api.runs.models import Run
from runner_api.runs.store import run_event
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn
from runner_api.types import utcnow


def _context(run_id: str) -> str:
    return f"approval:{run_id}:params"


SEALED_APPROVALS = SealedColumn(Approval.sealed_params, lambda approval: _context(approval.run_id))


def approval_event(
    kind: str, approval: Approval, run: Run, actor: str, actor_id: str | None = None
) -> AuditEvent:
    """The audit record of a step of an approval (requested, approved, rejected ...)."""
    event = run_event(
        f"approval.{kind}",
        run,
        actor,
        actor_id,
        reasons=approval.reasons,
        requested_by=approval.requested_by,
        requester_id=approval.requester_id,
        requester_person=approval.requester_person,
        decided_by=approval.decided_by,
        decided_by_id=approval.decided_by_id,
        comment=approval.comment,
        expires_at=approval.expires_at.isoformat(),
    )
    return replace(event, outcome=approval.status)


class ApprovalGate:
    """Decides whether a run waits, and seals what it needs to start later."""

    def __init__(self, db: Database, rules: ApprovalRules, box: SecretBox, ttl_s: int) -> None:
        self.db = db
        self.rules = rules
        self.box = box
        self.ttl_s = ttl_s

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
        """The run waits when a rule asks for a second person (runs.gate.Gate)."""
        reasons = self.rules.reasons(spec, customer, params, target)
        if not reasons:
            return None
        approval = self._pending(run, reasons, sealable, person)
        details = {
            "approval": {
                "reasons": approval.reasons,
                "expires_at": approval.expires_at.isoformat(),
            }
        }
        requested = approval_event("requested", approval, run, run.requested_by, run.requester_id)
        return Hold(details, [approval], [requested])

    def _pending(
        self, run: Run, reasons: list[Reason], params: Mapping[str, Any], person: str
    ) -> Approval:
        """The pending approval of a run; `params` (JSON-ready, secrets in clear) sealed;
        `person` is who stands behind the requester (no decision by them)."""
        now = utcnow()
        return Approval(
            run_id=run.id,
            customer=run.customer,
            reasons=[reason.as_dict() for reason in reasons],
            requested_by=run.requested_by,
            requester_id=run.requester_id,
            requester_person=person,
            status=ApprovalStatus.PENDING.value,
            created_at=now,
            expires_at=now + timedelta(seconds=self.ttl_s),
            sealed_params=self.box.seal(json.dumps(dict(params)), _context(run.id)),
        )

    def find(self, run_id: str) -> Approval | None:
        with self.db.session() as session:
            return session.get(Approval, run_id)

    def withdrawn(
        self, run: Run, by: str, by_id: str | None = None
    ) -> tuple[list[Base], list[AuditEvent]]:
        """Rows and records that close the approval of a run canceled while it waited."""
        approval = self.find(run.id)
        if approval is None or approval.status != ApprovalStatus.PENDING:
            return [], []
        close(approval, ApprovalStatus.CANCELED, by, "the run was canceled", by_id)
        return [approval], [approval_event("canceled", approval, run, by, by_id)]

    def unseal(self, approval: Approval) -> dict[str, Any]:
        """The parameters the run was requested with (secrets in clear; memory only)."""
        if approval.sealed_params is None:
            return {}
        opened: dict[str, Any] = json.loads(
            self.box.open(approval.sealed_params, _context(approval.run_id))
        )
        return opened


def close(
    approval: Approval,
    status: ApprovalStatus,
    by: str | None,
    comment: str | None = None,
    by_id: str | None = None,
) -> Approval:
    """Record the end of an approval and wipe its sealed parameters (written by the caller)."""
    approval.status = status.value
    approval.decided_by = by
    approval.decided_by_id = by_id
    approval.decided_at = utcnow()
    approval.comment = comment
    approval.sealed_params = None
    return approval
