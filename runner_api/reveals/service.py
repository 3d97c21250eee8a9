"""Create a reveal when a run generates a secret; hand it out exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.auth.authorize import denial
from runner_api.database import Database
from runner_api.errors import FixlineError, NotFoundError
from runner_api.reveals.models import Reveal
from runner_api.runs.models import Run
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn
from runner_api.types import utcnow


def reveal_context(reveal_id: str) -> str:
    """Bound to the reveal: a sealed secret copied to another reveal does not open."""
    return f"reveal:{reveal_id}"


SEALED_REVEALS = SealedColumn(Reveal.sealed, lambda reveal: reveal_context(reveal.id))


class RevealNotFoundError(NotFoundError):
    code = "reveal_not_found"


class RevealGoneError(FixlineError):
    """Already read, or expired: the secret no longer exists anywhere."""

    code = "reveal_gone"


class RevealState(StrEnum):
    """Whether a reveal can still be shown: a page drops its Show button when it cannot."""

    READY = "ready"
    SHOWN = "shown"
    EXPIRED = "expired"


class RevealService:
    """Sealed one-time secrets with a short life."""

    def __init__(
        self, db: Database, box: SecretBox, ttl_s: int, audit: AuditSink | None = None
    ) -> None:
        self.db = db
        self.box = box
        self.ttl_s = ttl_s
        self.audit: AuditSink = audit or NoAudit()

    def create(self, run_id: str, requested_by: str, requester_id: str, secret: str) -> str:
        """Seal a secret for the requester of a run (bound to its principal id); returns the
        reveal_id."""
        reveal_id = str(uuid.uuid4())
        now = utcnow()
        values = {
            "id": reveal_id,
            "run_id": run_id,
            "requested_by": requested_by,
            "requester_id": requester_id,
            "sealed": self.box.seal(secret, reveal_context(reveal_id)),
            "created_at": now,
            "expires_at": now + timedelta(seconds=self.ttl_s),
        }
        # A plain INSERT, committed before the run's end names it: on every reset's way.
        with self.db.connection() as connection:
            connection.execute(insert(Reveal), values)
        return reveal_id

    def consume(self, reveal_id: str, caller: str, caller_id: str) -> str:
        """The secret, the first time its requester asks; gone afterwards. `caller` is the
        name (for the audit), `caller_id` the principal id that must be the requester's."""
        with self.db.session() as session:
            reveal = session.get(Reveal, reveal_id)
            # Someone else's reveal looks exactly like a missing one (but is audited).
            if reveal is None or reveal.requester_id != caller_id:
                missing = RevealNotFoundError(f"no reveal {reveal_id!r} for you")
                raise missing if reveal is None else denial(missing, "not_requester")
            sealed = reveal.sealed
            taken = session.execute(
                update(Reveal)
                .where(
                    Reveal.id == reveal_id,
                    Reveal.revealed_at.is_(None),
                    Reveal.sealed.is_not(None),
                    Reveal.expires_at > utcnow(),
                )
                .values(revealed_at=utcnow(), sealed=None)
                .execution_options(synchronize_session=False)
            )
            if not taken.rowcount or sealed is None:  # type: ignore[attr-defined]
                raise RevealGoneError("this secret was already shown once, or it expired")
            run = session.get(Run, reveal.run_id)
            # That it was shown, to whom, for which run: never the value.
            self.audit.record(
                session,
                AuditEvent(
                    type="reveal.consumed",
                    actor=caller,
                    actor_id=caller_id,
                    customer=run.customer if run else None,
                    ticket_id=run.ticket_id if run else None,
                    run_id=reveal.run_id,
                    action=run.action if run else None,
                    target=run.target if run else None,
                    outcome="revealed",
                    data={"reveal_id": reveal_id},
                ),
            )
        return self.box.open(sealed, reveal_context(reveal_id))

    def state(self, reveal_id: str, caller_id: str) -> RevealState:
        """Whether the caller's reveal can still be shown (nothing is spent or read)."""
        reveal = self.find(reveal_id)
        if reveal is None or reveal.requester_id != caller_id:
            missing = RevealNotFoundError(f"no reveal {reveal_id!r} for you")
            raise missing if reveal is None else denial(missing, "not_requester")
        if reveal.revealed_at is not None:
            return RevealState.SHOWN
        if reveal.sealed is None or reveal.expires_at <= utcnow():
            return RevealState.EXPIRED
        return RevealState.READY

    def wipe_expired(self) -> int:
        """Destroy sealed secrets past their life; returns how many."""
        with self.db.session() as session:
            result = session.execute(
                update(Reveal)
                .where(Reveal.sealed.is_not(None), Reveal.expires_at <= utcnow())
                .values(sealed=None)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def find_for_run(self, run_id: str) -> list[Reveal]:
        with self.db.session() as session:
            return list(session.scalars(select(Reveal).where(Reveal.run_id == run_id)))

    def find(self, reveal_id: str) -> Reveal | None:
        """The reveal's record (never its secret): whose it is, and whether it was shown or
        expired, for a caller to say which."""
        with self.db.session() as session:
            return session.get(Reveal, reveal_id)
