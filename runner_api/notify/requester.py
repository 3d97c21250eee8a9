"""The notice to the requester of a held run that a second person decided on it.

The requester may have left since they asked: the mail tells them, and for a run that hands
something over (a VPN profile) that it waits for them in Fixline. Built from non-secret run
fields and the decision only, never from params or details.
"""

from __future__ import annotations

import uuid

from runner_api.notify.compose import fill
from runner_api.notify.models import Audience, Notification, NotificationStatus
from runner_api.runs.models import Run
from runner_api.types import utcnow

_VERDICTS = {"approved": "approved", "rejected": "rejected", "expired": "not decided in time"}


def decision_subject(run: Run, verdict: str) -> str:
    """e.g. "Approved: vpn_grant on ben.carter (ticket INC-801)"."""
    return f"{verdict.capitalize()}: {run.action} on {run.target} (ticket {run.ticket_id})"


def decision_body(
    run: Run, verdict: str, decided_by: str | None, comment: str | None, handover_min: int
) -> str:
    """Plain text: what was decided, by whom, and what to do now."""
    by = f" by {decided_by}" if decided_by else ""
    lead = f"Your request {run.action} on {run.target} was {_VERDICTS[verdict]}{by}."
    if verdict == "approved":
        lead += (
            " It runs now. Anything it hands over to you (a VPN profile, a temporary "
            "password) waits for you in Fixline: open the run, and you have "
            f"{handover_min} minutes from then to take it, once."
        )
    else:
        lead += " Nothing of it ran."
    facts = [
        f"  Run:      {run.id} (Fixline web page: /ui/runs/{run.id})",
        f"  Ticket:   {run.ticket_id}",
        f"  Customer: {run.customer}",
    ]
    if comment:
        facts.append(f"  Comment:  {comment}")
    paragraphs = [f"Hello {run.requested_by},", fill(lead), "\n".join(facts)]
    return "\n\n".join([*paragraphs, "-- \nFixline"]) + "\n"


def decision_notice(
    run: Run,
    verdict: str,
    decided_by: str | None,
    comment: str | None,
    address: str,
    handover_min: int,
) -> Notification:
    """The outbox row of the mail to the requester (sent by the relay like any notice)."""
    now = utcnow()
    return Notification(
        id=str(uuid.uuid4()),
        run_id=run.id,
        customer=run.customer,
        ticket_id=run.ticket_id,
        kind=f"approval.{verdict}",
        audience=Audience.REQUESTER.value,
        recipients=[address],
        subject=decision_subject(run, verdict)[:255],
        body=decision_body(run, verdict, decided_by, comment, handover_min),
        status=NotificationStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        last_error=None,
        created_at=now,
    )
