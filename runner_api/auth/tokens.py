"""API tokens for integrations: 256 random bits, shown once, kept as SHA-256 only.

A token reads `fxl_<id>_<secret>`; the id is public (lists, audit), the secret is not.
Lookups go by the hash, so nothing compares secrets byte by byte in Python.

A token acts as "token:<id>" (never as its name, which people choose) for the person who
created it. The bootstrap token of settings is kept here too, hashed, with an expiry, and
revoked like any other; a new one replaces the last.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.auth.errors import AuthenticationError
from runner_api.auth.models import ApiToken
from runner_api.auth.principal import AuthMethod, Principal, Role, token_principal_id
from runner_api.database import Database
from runner_api.errors import ConflictError, InvalidRequestError, NotFoundError
from runner_api.prepared import Prepared
from runner_api.types import utcnow

PREFIX = "fxl_"
# Writing last_used_at on every request would make every read a write; a minute is enough.
_TOUCH_EVERY = timedelta(seconds=60)
# Roles that see every customer; others must name theirs.
_GLOBAL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
BOOTSTRAP_NAME = "bootstrap"
# Who "created" the bootstrap token, and the person it acts for: whoever set it in settings.
_SETTINGS = "settings"
BOOTSTRAP_PERSON = "operator:bootstrap"
_TOKENS = cast(Table, ApiToken.__table__)
_BY_HASH = Prepared(select(_TOKENS).where(_TOKENS.c.token_hash == bindparam("token_hash")))
_TOUCH = Prepared(
    update(_TOKENS)
    .where(_TOKENS.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


class TokenNameTakenError(ConflictError):
    code = "token_name_taken"


@dataclass(frozen=True)
class Creator:
    """Who creates a token: shown by name, bound by id, acting for a person."""

    name: str
    id: str
    person: str

    @classmethod
    def of(cls, principal: Principal) -> Creator:
        return cls(principal.name, principal.id, principal.person)


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


def _event(kind: str, record: ApiToken, by: Creator, **data: object) -> AuditEvent:
    """The audit record of a token's creation or revocation (never its secret)."""
    return AuditEvent(
        type=kind,
        actor=by.name,
        actor_id=by.id,
        target=f"token:{record.id}",
        outcome="ok",
        data={"name": record.name, **data},
    )


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
        created_by: Creator,
        expires_at: datetime | None = None,
    ) -> IssuedToken:
        if not name.strip():
            raise InvalidRequestError("a token needs a name")
        if name.strip() == BOOTSTRAP_NAME:
            raise InvalidRequestError(f"the name {BOOTSTRAP_NAME!r} is the bootstrap token's")
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
            created_by=created_by.name,
            created_by_id=created_by.id,
            person=created_by.person,
            bootstrap=False,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        self._insert(record)
        return IssuedToken(record, secret)

    def adopt_bootstrap(self, secret: str, ttl_s: int, *, again: bool = True) -> ApiToken:
        """Keep the bootstrap token of settings as a hashed admin token that expires.

        Known already (a restart, a second process): left as it is, revoked or expired
        included, so neither a restart nor an edit of settings revives a revoked one.
        New: it replaces the live bootstrap token there was.
        """
        digest = _hash(secret)
        with self.db.session() as session:
            known = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
            if known is not None:
                session.expunge(known)
                return known
        now = utcnow()
        record = ApiToken(
            id=secrets.token_hex(6),
            name=BOOTSTRAP_NAME,
            token_hash=digest,
            role=Role.ADMIN.value,
            customers=None,
            actions=None,
            created_by=_SETTINGS,
            created_by_id=_SETTINGS,
            person=BOOTSTRAP_PERSON,
            bootstrap=True,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
        try:
            self._insert(record, replace_bootstrap=True)
        except (TokenNameTakenError, IntegrityError):
            if not again:
                raise
            # Another process adopted the same token (or another one) at the same moment.
            return self.adopt_bootstrap(secret, ttl_s, again=False)
        return record

    def _insert(self, record: ApiToken, *, replace_bootstrap: bool = False) -> None:
        """Insert with its audit record; the name must be free among live tokens."""
        by = Creator(record.created_by, record.created_by_id, record.person)
        with self.db.session() as session:
            self._free_name(session, record.name, by, replace_bootstrap=replace_bootstrap)
            session.add(record)
            created = {
                "role": record.role,
                "customers": record.customers,
                "actions": record.actions,
                "person": record.person,
                "bootstrap": record.bootstrap,
                "expires_at": record.expires_at.isoformat() if record.expires_at else None,
            }
            self.audit.record(session, _event("token_created", record, by, **created))
            try:
                session.flush()
            except IntegrityError:
                # The unique index of live names saw a concurrent creation.
                raise TokenNameTakenError(
                    f"a live token is already named {record.name!r}: choose another name"
                ) from None
            session.expunge(record)

    def _free_name(
        self, session: Session, name: str, by: Creator, *, replace_bootstrap: bool
    ) -> None:
        """Revoke an expired (or replaced bootstrap) token of that name; refuse a live one."""
        now = utcnow()
        for other in session.scalars(
            select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
        ):
            expired = other.expires_at is not None and other.expires_at <= now
            if not expired and not (replace_bootstrap and other.bootstrap):
                raise TokenNameTakenError(
                    f"a live token is already named {name!r}: choose another name, or "
                    f"revoke token {other.id} first"
                )
            self._revoked(session, other, by, "expired" if expired else "replaced")

    def _revoked(self, session: Session, record: ApiToken, by: Creator, why: str) -> None:
        record.revoked_at = utcnow()
        record.revoked_by = by.name
        self.audit.record(session, _event("token_revoked", record, by, reason=why))
        session.flush()

    def principal(self, token: str) -> Principal:
        """The caller a presented token stands for; AuthenticationError when it is not valid."""
        now = utcnow()
        # Every API request comes through here: a prepared statement on a plain connection,
        # not an ORM session and object (about a fifth of a millisecond less per request).
        with self.db.connection() as connection:
            record = _BY_HASH.first(connection, {"token_hash": _hash(token)})
            if record is None or record["revoked_at"] is not None:
                raise AuthenticationError("unknown or revoked token")
            expires_at = record["expires_at"]
            if expires_at is not None and expires_at <= now:
                raise AuthenticationError("the token has expired")
            used = record["last_used_at"]
            if used is None or now - used >= _TOUCH_EVERY:
                _TOUCH.execute(connection, {"token_id": record["id"], "now": now})
        customers, actions = record["customers"], record["actions"]
        return Principal(
            name=f"token:{record['name']}",
            roles=frozenset({Role(record["role"])}),
            method=AuthMethod.BOOTSTRAP if record["bootstrap"] else AuthMethod.TOKEN,
            id=token_principal_id(record["id"]),
            person=record["person"],
            customers=frozenset(customers) if customers is not None else None,
            actions=frozenset(actions) if actions is not None else None,
            credential_id=record["id"],
            expires_at=expires_at,
        )

    def get(self, token_id: str) -> ApiToken:
        with self.db.session() as session:
            record = session.get(ApiToken, token_id)
            if record is None:
                raise NotFoundError(f"no token {token_id!r}")
            session.expunge(record)
            return record

    def list(self) -> list[ApiToken]:
        with self.db.session() as session:
            return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))

    def revoke(self, token_id: str, by: Creator) -> ApiToken:
        """Revoke at once: the next request with the token gets 401."""
        with self.db.session() as session:
            record = session.get(ApiToken, token_id)
            if record is None:
                raise NotFoundError(f"no token {token_id!r}")
            if record.revoked_at is None:
                self._revoked(session, record, by, "revoked")
            session.flush()
            session.expunge(record)
            return record
