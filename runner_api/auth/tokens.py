"""API tokens for integrations: 256 random bits, shown once, kept as SHA-256 only.

A token reads `fxl_<id>_<secret>`; the id is public (lists, audit), the secret is not.
Lookups go by the hash, so nothing compares secrets byte by byte in Python.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.auth.errors import AuthenticationError
from runner_api.auth.models import ApiToken
from runner_api.auth.principal import AuthMethod, Principal, Role
from runner_api.database import Database
from runner_api.errors import InvalidRequestError, NotFoundError
from runner_api.types import utcnow

PREFIX = "fxl_"
# Writing last_used_at on every request would make every read a write; a minute is enough.
_TOUCH_EVERY = timedelta(seconds=60)
# Roles that see every customer; others must name theirs.
_GLOBAL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: `secret` is shown once and never again."""

    record: ApiToken
    secret: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str | None:
    """The public id of a token `fxl_<id>_<secret>` (None when it is not one)."""
    if not token.startswith(PREFIX):
        return None
    found, sep, _ = token.removeprefix(PREFIX).partition("_")
    return found if sep and found else None


class TokenStore:
    """Creates, checks, lists and revokes API tokens."""

    def __init__(self, db: Database, audit: AuditSink) -> None:
        self.db = db
        self.audit = audit

    def create(
        self,
        *,
        name: str,
        role: Role,
        customers: Sequence[str] | None,
        actions: Sequence[str] | None,
        created_by: str,
        expires_at: datetime | None = None,
    ) -> IssuedToken:
        if not name.strip():
            raise InvalidRequestError("a token needs a name")
        if customers is None and role not in _GLOBAL_ROLES:
            raise InvalidRequestError(f"a {role.value} token must name its customers")
        if customers is not None and not customers:
            raise InvalidRequestError("a token must be scoped to at least one customer")
        if expires_at is not None and expires_at <= utcnow():
            raise InvalidRequestError("expires_at must lie in the future")
        token_id = secrets.token_hex(6)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        record = ApiToken(
            id=token_id,
            name=name.strip(),
            token_hash=_hash(secret),
            role=role.value,
            customers=sorted(set(customers)) if customers is not None else None,
            actions=sorted(set(actions)) if actions else None,
            created_by=created_by,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        with self.db.session() as session:
            session.add(record)
            self.audit.record(
                session,
                AuditEvent(
                    type="token_created",
                    actor=created_by,
                    target=f"token:{token_id}",
                    outcome="ok",
                    data={
                        "name": record.name,
                        "role": record.role,
                        "customers": record.customers,
                        "actions": record.actions,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                ),
            )
        return IssuedToken(record, secret)

    def principal(self, token: str) -> Principal:
        """The caller a presented token stands for; AuthenticationError when it is not valid."""
        if not token.startswith(PREFIX):
            raise AuthenticationError("unknown or revoked token")
        now = utcnow()
        with self.db.session() as session:
            record = session.scalars(
                select(ApiToken).where(ApiToken.token_hash == _hash(token))
            ).one_or_none()
            if record is None or record.revoked_at is not None:
                raise AuthenticationError("unknown or revoked token")
            if record.expires_at is not None and record.expires_at <= now:
                raise AuthenticationError("the token has expired")
            if record.last_used_at is None or now - record.last_used_at >= _TOUCH_EVERY:
                session.execute(
                    update(ApiToken).where(ApiToken.id == record.id).values(last_used_at=now)
                )
            return Principal(
                name=f"token:{record.name}",
                roles=frozenset({Role(record.role)}),
                method=AuthMethod.TOKEN,
                customers=frozenset(record.customers) if record.customers is not None else None,
                actions=frozenset(record.actions) if record.actions is not None else None,
                credential_id=record.id,
            )

    def list(self) -> list[ApiToken]:
        with self.db.session() as session:
            return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))

    def revoke(self, token_id: str, by: str) -> ApiToken:
        """Revoke at once: the next request with the token gets 401."""
        with self.db.session() as session:
            record = session.get(ApiToken, token_id)
            if record is None:
                raise NotFoundError(f"no token {token_id!r}")
            if record.revoked_at is None:
                record.revoked_at = utcnow()
                record.revoked_by = by
                self.audit.record(
                    session,
                    AuditEvent(
                        type="token_revoked",
                        actor=by,
                        target=f"token:{token_id}",
                        outcome="ok",
                        data={"name": record.name},
                    ),
                )
            session.flush()
            session.expunge(record)
            return record
