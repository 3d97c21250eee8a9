"""Create a reveal when a run generates a secret; hand it out exactly once.

A secret is text to show (a temporary password) or a file to download (a VPN profile, which
holds a private key: never shown). Its hand-over window (ttl_s) starts when its requester is
told it is ready: at once for a run they just started, but the requester of a held run may
have left long before the approval came in, so its secret waits (at most wait_s) until their
page, or their own call, tells them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.auth.authorize import denial
from runner_api.database import Database
from runner_api.errors import ConflictError, FixlineError, NotFoundError
from runner_api.reveals.models import Reveal
from runner_api.runs.models import Run
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn
from runner_api.types import utcnow

DEFAULT_WAIT_S = 28800


def reveal_context(reveal_id: str) -> str:
    """Bound to the reveal: a sealed secret copied to another reveal does not open."""
    return f"reveal:{reveal_id}"


SEALED_REVEALS = SealedColumn(Reveal.sealed, lambda reveal: reveal_context(reveal.id))


class RevealNotFoundError(NotFoundError):
    code = "reveal_not_found"


class RevealGoneError(FixlineError):
    """Already read, or expired: the secret no longer exists anywhere."""

    code = "reveal_gone"


class RevealKindError(ConflictError):
    """A file asked for as text, or text as a file: nothing is spent."""

    code = "reveal_kind"


class RevealState(StrEnum):
    """Whether a reveal can still be shown: a page drops its Show button when it cannot."""

    READY = "ready"
    SHOWN = "shown"
    EXPIRED = "expired"


def state_of(reveal: Reveal) -> RevealState:
    if reveal.revealed_at is not None:
        return RevealState.SHOWN
    if reveal.sealed is None or reveal.expires_at <= utcnow():
        return RevealState.EXPIRED
    return RevealState.READY


def _at(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} UTC"


class RevealService:
    """Sealed one-time secrets with a short life."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        ttl_s: int,
        audit: AuditSink | None = None,
        wait_s: int = DEFAULT_WAIT_S,
    ) -> None:
        self.db = db
        self.box = box
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.audit: AuditSink = audit or NoAudit()

    def create(
        self,
        run_id: str,
        requested_by: str,
        requester_id: str,
        secret: str,
        filename: str | None = None,
    ) -> str:
        """Seal a secret for the requester of a run (bound to its principal id); returns the
        reveal_id. `filename`: the secret is a file, downloaded under that name only."""
        reveal_id = str(uuid.uuid4())
        now = utcnow()
        with self.db.session() as session:
            run = session.get(Run, run_id)
            # A held run's requester is not waiting on it: they are told later.
            held = run is not None and "approval" in (run.details or {})
        values = {
            "id": reveal_id,
            "run_id": run_id,
            "requested_by": requested_by,
            "requester_id": requester_id,
            "sealed": self.box.seal(secret, reveal_context(reveal_id)),
            "filename": filename,
            "created_at": now,
            "told_at": None if held else now,
            "expires_at": now + timedelta(seconds=self.wait_s if held else self.ttl_s),
        }
        # A plain INSERT, committed before the run's end names it: on every reset's way.
        with self.db.connection() as connection:
            connection.execute(insert(Reveal), values)
        return reveal_id

    def told(self, reveal_id: str, caller: str, caller_id: str) -> Reveal:
        """The requester is being told the secret is ready: its hand-over window starts now
        (once; later calls change nothing). Returns the record, never the secret."""
        reveal = self._own(reveal_id, caller_id)
        if reveal.told_at is not None or state_of(reveal) is not RevealState.READY:
            return reveal
        now = utcnow()
        with self.db.session() as session:
            started = session.execute(
                update(Reveal)
                .where(Reveal.id == reveal_id, Reveal.told_at.is_(None))
                .values(told_at=now, expires_at=now + timedelta(seconds=self.ttl_s))
            )
            if started.rowcount:  # type: ignore[attr-defined]
                self._record(session, reveal, "reveal.told", caller, caller_id, "told")
        return self._own(reveal_id, caller_id)

    def consume(self, reveal_id: str, caller: str, caller_id: str) -> str:
        """The secret, the first time its requester asks; gone afterwards. `caller` is the
        name (for the audit), `caller_id` the principal id that must be the requester's.
        A file is refused here (RevealKindError, nothing spent): see download."""
        return self._take(reveal_id, caller, caller_id, as_file=False)[1]

    def download(self, reveal_id: str, caller: str, caller_id: str) -> tuple[str, str]:
        """(file name, content) of a file secret, once; text is refused (nothing spent)."""
        return self._take(reveal_id, caller, caller_id, as_file=True)

    def _take(self, reveal_id: str, caller: str, caller_id: str, as_file: bool) -> tuple[str, str]:
        reveal = self._own(reveal_id, caller_id)
        if (reveal.filename is not None) != as_file:
            raise RevealKindError(
                f"this secret is a file ({reveal.filename}): download it, it is never shown"
                if reveal.filename is not None
                else "this secret is text to show, not a file to download"
            )
        with self.db.session() as session:
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
                raise self._gone(reveal_id, caller_id)
            outcome = "downloaded" if as_file else "revealed"
            # That it was handed over, to whom, for which run: never the value.
            self._record(session, reveal, "reveal.consumed", caller, caller_id, outcome)
        return reveal.filename or "", self.box.open(sealed, reveal_context(reveal_id))

    def _gone(self, reveal_id: str, caller_id: str) -> RevealGoneError:
        """Why it cannot be handed over, with when, in words a person can act on."""
        reveal = self._own(reveal_id, caller_id)
        what = "file" if reveal.filename else "secret"
        if reveal.revealed_at is not None:
            done = "downloaded" if reveal.filename else "shown"
            return RevealGoneError(
                f"this {what} was already {done} once, at {_at(reveal.revealed_at)}: it "
                "cannot be handed over again (a new run makes a new one)"
            )
        return RevealGoneError(
            f"this {what} expired at {_at(reveal.expires_at)} unread and was wiped "
            "(a new run makes a new one)"
        )

    def state(self, reveal_id: str, caller_id: str) -> RevealState:
        """Whether the caller's reveal can still be shown (nothing is spent or read)."""
        return state_of(self._own(reveal_id, caller_id))

    def view(self, reveal_id: str, caller_id: str) -> Reveal:
        """The caller's reveal record (never its secret); RevealNotFoundError otherwise."""
        return self._own(reveal_id, caller_id)

    def _own(self, reveal_id: str, caller_id: str) -> Reveal:
        reveal = self.find(reveal_id)
        # Someone else's reveal looks exactly like a missing one (but is audited).
        if reveal is None or reveal.requester_id != caller_id:
            missing = RevealNotFoundError(f"no reveal {reveal_id!r} for you")
            raise missing if reveal is None else denial(missing, "not_requester")
        return reveal

    def _record(
        self, session: Session, reveal: Reveal, kind: str, caller: str, caller_id: str, outcome: str
    ) -> None:
        run = session.get(Run, reveal.run_id)
        self.audit.record(
            session,
            AuditEvent(
                type=kind,
                actor=caller,
                actor_id=caller_id,
                customer=run.customer if run else None,
                ticket_id=run.ticket_id if run else None,
                run_id=reveal.run_id,
                action=run.action if run else None,
                target=run.target if run else None,
                outcome=outcome,
                data={"reveal_id": reveal.id},
            ),
        )

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
