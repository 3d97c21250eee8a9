"""What the rest of Fixline writes to the audit log, inside its own transaction.

Writers call `AuditSink.record(session, event)` in the same transaction as the change it
describes, so the change and its record commit together or not at all (fail closed). A
plain Connection in a transaction does as well as a Session (the run spine's hot path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AuditEvent:
    """One security-relevant event; `data` holds no secret (callers pass redacted values)."""

    type: str  # e.g. run.requested, run.refused, run.running, run.succeeded, reveal.consumed
    actor: str  # a name, for people to read
    customer: str | None = None
    ticket_id: str | None = None
    run_id: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The actor's principal id (auth/principal.py), where it is a caller: names are not
    # unique, so a record binds to this; it is kept as data["actor_id"].
    actor_id: str | None = None


class AuditSink(Protocol):
    def record(self, session: Session | Connection, *events: AuditEvent) -> None:
        """Append the records, in order, within the caller's transaction; raise to abort it."""
        ...


class NoAudit:
    """For unit tests of other features: records nothing."""

    def record(self, session: Session | Connection, *events: AuditEvent) -> None:
        return None
