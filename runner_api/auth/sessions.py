"""Agents' web sessions: server-side rows, a cookie of 256 random bits, CSRF tokens.

The cookie holds the token, the row only its SHA-256: a copy of the database opens no
session. The CSRF token is an HMAC of the session token under a key derived from the
secret key; the page gets it at login (and from GET /auth/me) and sends it back as
X-CSRF-Token, or form field csrf_token, on every unsafe request. A cross-site page sends
the cookie at most, never the token, which it can neither read nor derive.

A session ends at logout, when unused for session_idle_timeout_s, session_absolute_timeout_s
after login, or when the directory, read again every login_role_ttl_s, no longer gives the
agent a Fixline role. Roles that changed apply from that read on.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from runner_api.audit.errors import AuditUnavailableError
from runner_api.audit.log import AuditLog
from runner_api.audit.sink import AuditEvent
from runner_api.auth.errors import (
    AuthenticationError,
    LoginUnavailableError,
    PermissionDeniedError,
    RateLimitedError,
)
from runner_api.auth.lockout import LockoutPolicy, NearLockoutError
from runner_api.auth.login_directory import (
    LoginDirectory,
    LoginRejectedError,
    check_password,
)
from runner_api.auth.login_roles import Grant, RoleMapping
from runner_api.auth.models import WebSession
from runner_api.auth.principal import AuthMethod, Principal, Role, agent_id
from runner_api.auth.throttle import LoginThrottle
from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.settings import Settings
from runner_api.types import utcnow

log = logging.getLogger(__name__)

COOKIE_NAME = "fixline_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Writing last_seen_at on every request would make every read a write.
_TOUCH_EVERY = timedelta(seconds=15)
# The directory's lockout policy is read again this often (an admin may lower it).
_LOCKOUT_REREAD_S = 3600.0
_CSRF_LABEL = b"fixline/csrf-token/v1"


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    role_ttl: timedelta


@dataclass(frozen=True)
class StartedSession:
    """A new login: `token` goes into the cookie and nowhere else."""

    token: str
    csrf_token: str
    record: WebSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _credential_id(session_id: str) -> str:
    return f"session:{session_id[:16]}"


def _customer_list(customers: frozenset[str] | None) -> list[str] | None:
    return sorted(customers) if customers is not None else None


def _event(record: WebSession, kind: str, outcome: str, **data: object) -> AuditEvent:
    """An audit event about one session, naming its agent and (a prefix of) its id."""
    return AuditEvent(
        type=kind,
        actor=record.username,
        actor_id=agent_id(record.user_guid) if record.user_guid else None,
        target=_credential_id(record.id),
        outcome=outcome,
        data=data,
    )


def mail_of(db: Database, principal_id: str) -> str | None:
    """Where an agent's notices go: the mail address the directory gave at their latest
    login. None for other callers (tokens, the CLI, webhooks) and agents without one."""
    prefix = agent_id("")
    if not principal_id.startswith(prefix):
        return None
    query = (
        select(WebSession.mail)
        .where(func.lower(WebSession.user_guid) == principal_id.removeprefix(prefix))
        .order_by(WebSession.created_at.desc())
        .limit(1)
    )
    with db.session() as session:
        return session.scalars(query).first()


class SessionStore:
    """Logs agents in against the login directory and resolves their cookies."""

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        directory: LoginDirectory | None,
        mapping: RoleMapping,
        policy: SessionPolicy,
        throttle: LoginThrottle,
        secret_key: bytes,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.audit = audit
        self.directory = directory
        self.mapping = mapping
        self.policy = policy
        self.throttle = throttle
        self.clock = clock
        # The limits as configured; the directory's lockout may lower them (lockout.py).
        self._configured = (throttle.limits["user"], throttle.window_s)
        self._lockout: LockoutPolicy | None = None
        self._lockout_read_at = 0.0
        # A subkey of its own: a CSRF token must never double as anything else's MAC.
        self._csrf_key = hmac.new(secret_key, _CSRF_LABEL, hashlib.sha256).digest()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        db: Database,
        audit: AuditLog,
        secret_key: bytes,
        directory: LoginDirectory | None,
    ) -> SessionStore:
        """The store of settings' timeouts; `directory` None turns agent login off;
        secret_key: Fixline's key."""
        return cls(
            db,
            audit,
            directory,
            RoleMapping(settings.login_role_groups, settings.login_customer_group_prefix),
            SessionPolicy(
                idle=timedelta(seconds=settings.session_idle_timeout_s),
                absolute=timedelta(seconds=settings.session_absolute_timeout_s),
                role_ttl=timedelta(seconds=settings.login_role_ttl_s),
            ),
            LoginThrottle(
                settings.login_max_failures,
                settings.login_max_failures_per_address,
                settings.login_failure_window_s,
            ),
            secret_key,
        )

    def check_lockout_policy(self) -> None:
        """At start-up: fit the login limit below the directory's lockout; ConfigurationError
        when nothing fits. A directory that does not answer yet is read at the first login."""
        if self.directory is None:
            return
        try:
            self._lockout_policy()
        except LoginUnavailableError as exc:
            log.warning("login directory: lockout policy not read yet (%s)", exc.message)

    def login(self, username: str, password: str, client: str | None) -> StartedSession:
        """A new session; LoginRejectedError (also for a right password without a role),
        429 or 503."""
        try:
            self.throttle.check(username, client)
        except RateLimitedError:
            self._login_failed(username, client, "rate limited")
            raise
        try:
            check_password(password)
            directory = self._directory()
            try:
                lockout = self._lockout_policy()
            except ConfigurationError as exc:
                raise LoginUnavailableError(exc.message) from exc
            identity = directory.authenticate(username, password, lockout)
            grant = self.mapping.grant(identity.groups)
            if not grant.roles:
                # Answered, and counted, exactly as a wrong password: a 403 would confirm
                # the password to whoever typed it. Only the audit log knows.
                raise LoginRejectedError("no_role: right password, in no Fixline role group")
        except LoginRejectedError as exc:
            self.throttle.failed(username, client)
            self._login_failed(username, client, exc.reason)
            raise
        except NearLockoutError as exc:
            self._login_failed(username, client, f"rate limited: {exc.reason}")
            raise
        except (LoginUnavailableError, AuthenticationError) as exc:
            self._login_failed(username, client, exc.message)
            raise
        self.throttle.succeeded(username)
        token = secrets.token_urlsafe(32)
        now = self.clock()
        record = WebSession(
            id=_hash(token),
            username=identity.username,
            user_guid=identity.guid,
            user_dn=identity.dn,
            display_name=identity.display_name,
            mail=identity.mail,
            roles=sorted(grant.roles),
            customers=_customer_list(grant.customers),
            created_at=now,
            last_seen_at=now,
            roles_checked_at=now,
        )
        with self.db.session() as session:
            session.add(record)
            event = _event(
                record,
                "auth.login",
                "ok",
                roles=record.roles,
                customers=record.customers,
                client=client,
            )
            self.audit.record(session, event)
            session.flush()
            session.expunge(record)
        return StartedSession(token, self.csrf_token(token), record)

    def csrf_token(self, token: str) -> str:
        return hmac.new(self._csrf_key, token.encode(), hashlib.sha256).hexdigest()

    def find(self, token: str) -> WebSession | None:
        """The session row of a cookie, ended or not (detached)."""
        with self.db.session() as session:
            record = session.get(WebSession, _hash(token))
            if record is not None:
                session.expunge(record)
            return record

    def principal(self, token: str, method: str, csrf_token: str | None) -> Principal:
        """The agent of a live session; 401 when ended, 403 without the CSRF token."""
        now = self.clock()
        record = self.find(token)
        # A session from before accounts were known by objectGUID has no identity to act as.
        if record is None or record.ended_at is not None or not record.user_guid:
            raise AuthenticationError("no such session, or it has ended: sign in again")
        expired = self._expiry(record, now)
        if expired:
            self._end(record, expired, now)
            raise AuthenticationError(f"your session has ended ({expired}): sign in again")
        if method.upper() in UNSAFE_METHODS and not self._csrf_ok(token, csrf_token):
            self._append(_event(record, "auth.denied", "denied", reason="csrf", method=method))
            raise PermissionDeniedError(
                f"missing or wrong CSRF token (header {CSRF_HEADER})", reason="csrf"
            )
        values: dict[str, object] = {}
        grant = Grant(
            frozenset(Role(role) for role in record.roles),
            frozenset(record.customers) if record.customers is not None else None,
        )
        if now - record.roles_checked_at >= self.policy.role_ttl:
            grant = self._recheck(record, grant, now)
            values |= {
                "roles": sorted(grant.roles),
                "customers": _customer_list(grant.customers),
                "roles_checked_at": now,
            }
        if values or now - record.last_seen_at >= _TOUCH_EVERY:
            values["last_seen_at"] = now
            with self.db.session() as session:
                session.execute(
                    update(WebSession).where(WebSession.id == record.id).values(**values)
                )
        return Principal(
            name=record.username,
            roles=grant.roles,
            method=AuthMethod.SESSION,
            id=agent_id(record.user_guid),
            person=agent_id(record.user_guid),
            customers=grant.customers,
            credential_id=_credential_id(record.id),
        )

    def logout(self, token: str) -> None:
        record = self.find(token)
        if record is not None and record.ended_at is None:
            self._end(record, "logout", self.clock(), kind="auth.logout")

    def _lockout_policy(self) -> LockoutPolicy:
        """The directory's lockout policy, read again hourly; fits the throttle below it."""
        now = time.monotonic()
        if self._lockout is None or now - self._lockout_read_at >= _LOCKOUT_REREAD_S:
            policy = self._directory().lockout_policy()
            per_user, window_s = policy.throttle(*self._configured)
            if (per_user, window_s) != self._configured:
                log.warning(
                    "login limit set to %d failed logins per username over %d s: the login "
                    "directory locks accounts at %d failures within %d s",
                    per_user,
                    window_s,
                    policy.threshold,
                    policy.window_s,
                )
            self.throttle.tighten(per_user, window_s)
            self._lockout, self._lockout_read_at = policy, now
        return self._lockout

    def _directory(self) -> LoginDirectory:
        if self.directory is None:
            # Switched off, not broken: no 503, which would invite retrying.
            raise AuthenticationError(
                "agent login is not enabled on this server (FIXLINE_LOGIN_LDAP_URL); "
                "use an API token"
            )
        return self.directory

    def _recheck(self, record: WebSession, old: Grant, now: datetime) -> Grant:
        """The grant the directory gives now; ends the session when it gives no role."""
        groups = self._directory().groups(record.user_dn)
        grant = self.mapping.grant(groups) if groups is not None else None
        if grant is None or not grant.roles:
            reason = "account disabled or gone" if groups is None else "roles revoked"
            self._end(record, reason, now)
            raise AuthenticationError(f"your session has ended ({reason}): sign in again")
        if grant != old:
            self._append(
                _event(
                    record,
                    "auth.roles_changed",
                    "ok",
                    roles=sorted(grant.roles),
                    customers=_customer_list(grant.customers),
                )
            )
        return grant

    def _expiry(self, record: WebSession, now: datetime) -> str | None:
        if now - record.created_at >= self.policy.absolute:
            return "absolute timeout"
        if now - record.last_seen_at >= self.policy.idle:
            return "idle timeout"
        return None

    def _csrf_ok(self, token: str, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(self.csrf_token(token).encode(), presented.encode())

    def _end(
        self, record: WebSession, reason: str, now: datetime, kind: str = "auth.session_ended"
    ) -> None:
        with self.db.session() as session:
            ended = session.execute(
                update(WebSession)
                .where(WebSession.id == record.id, WebSession.ended_at.is_(None))
                .values(ended_at=now, end_reason=reason[:64])
            )
            if ended.rowcount:  # type: ignore[attr-defined]
                self.audit.record(session, _event(record, kind, "ok", reason=reason))

    def _login_failed(self, username: str, client: str | None, reason: str) -> None:
        # The typed name, cut short: it is attacker input (the password never is logged).
        self._append(
            AuditEvent(
                type="auth.login_failed",
                actor="anonymous",
                target=f"user:{username.strip()[:128]}",
                outcome="denied",
                data={"reason": reason, "client": client},
            )
        )

    def _append(self, event: AuditEvent) -> None:
        try:
            self.audit.append(event)
        except AuditUnavailableError:
            # A denial stays a denial whether or not it could be recorded.
            log.exception("could not audit %s of %s", event.type, event.actor)
