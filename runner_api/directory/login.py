"""The helpdesk's own directory, where agents log in: the ldap3 implementation of
auth's LoginDirectory (auth/login_directory.py holds the Protocol and the input checks).

No blank password ever reaches a bind; every username is checked, then escaped in the
filter; the user binds with the DN the lookup found, never with what was typed. Binds
go over TLS verified against the configured CA and name.
"""

from __future__ import annotations

import math
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from ldap3 import BASE, NONE, SIMPLE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException
from pydantic import SecretStr

from runner_api.auth.errors import LoginUnavailableError
from runner_api.auth.lockout import LockoutPolicy, filetime, interval_s
from runner_api.auth.login_directory import (
    ACCOUNT_DISABLED,
    Identity,
    LoginRejectedError,
    check_password,
    check_username,
)
from runner_api.directory.connections import VerifiedTls
from runner_api.directory.connections import close_quietly as close_connection
from runner_api.directory.errors import bind_reason
from runner_api.directory.filters import IN_CHAIN, user_by_login, value
from runner_api.errors import ConfigurationError
from runner_api.settings import Settings

# (threshold, observation window) attributes of the domain object and of a PSO.
_DOMAIN_POLICY = ("lockoutThreshold", "lockOutObservationWindow")
_PSO_POLICY = ("msDS-LockoutThreshold", "msDS-LockoutObservationWindow")
_SUCCESS, _SIZE_LIMIT_EXCEEDED, _NO_SUCH_OBJECT = 0, 4, 32


@dataclass(frozen=True)
class LoginDirectoryConfig:
    """Where and as whom Fixline looks agents up."""

    url: str
    tls_name: str
    base_dn: str
    ca_pem: str
    bind_dn: str
    bind_password: SecretStr
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginDirectoryConfig | None:
        """The config, None when login is off; ConfigurationError when it is half set."""
        if settings.login_ldap_url is None:
            return None
        url = urlparse(settings.login_ldap_url)
        if url.scheme not in ("ldaps", "ldap") or not url.hostname:
            raise ConfigurationError("login_ldap_url must be ldaps://host or ldap://host")
        password = settings.login_bind_password
        if settings.login_bind_password_file is not None:
            lines = settings.login_bind_password_file.read_text().splitlines()
            password = SecretStr(lines[0] if lines else "")
        if (
            settings.login_ca_file is None
            or not settings.login_bind_dn
            or not settings.login_base_dn
            or password is None
            or not password.get_secret_value()
        ):
            raise ConfigurationError(
                "agent login needs login_base_dn, login_ca_file, login_bind_dn and "
                "login_bind_password (or login_bind_password_file)"
            )
        return cls(
            url=settings.login_ldap_url,
            tls_name=settings.login_tls_name or url.hostname,
            base_dn=settings.login_base_dn,
            ca_pem=settings.login_ca_file.read_text(),
            bind_dn=settings.login_bind_dn,
            bind_password=password,
            timeout_s=settings.login_timeout_s,
        )


class LdapLoginDirectory:
    """LoginDirectory over ldap3: a fresh verified-TLS connection per call (logins are rare)."""

    def __init__(self, config: LoginDirectoryConfig) -> None:
        self.config = config
        url = urlparse(config.url)
        self._use_ssl = url.scheme == "ldaps"
        self._host = url.hostname or ""
        self._port = url.port or (636 if self._use_ssl else 389)

    def authenticate(self, username: str, password: str, policy: LockoutPolicy) -> Identity:
        check_password(password)
        name = check_username(username)
        with self._service() as conn:
            entries = _search(
                conn,
                self.config.base_dn,
                user_by_login(name),
                SUBTREE,
                [
                    "sAMAccountName",
                    "displayName",
                    "userAccountControl",
                    "badPwdCount",
                    "badPasswordTime",
                    "msDS-ResultantPSO",
                    "objectGUID",
                    "mail",
                ],
                size_limit=2,
            )
            if len(entries) != 1:
                raise LoginRejectedError("no such user" if not entries else "ambiguous username")
            entry = entries[0]
            # Read before the password is checked, whatever it is: a right password on an
            # account without a role then takes the same way as a wrong one (same calls,
            # same time), and neither answer tells them apart: a login never shows which
            # accounts hold a role.
            groups = self._groups_of(conn, str(entry["dn"]))
        attributes = entry["attributes"]
        _below_lockout(policy, attributes)
        conn = self.open_bound(str(entry["dn"]), password)
        close_connection(conn)
        if _disabled(attributes):  # AD refuses the bind first; other directories may not
            raise LoginRejectedError("account disabled")
        return Identity(
            username=_first(attributes.get("sAMAccountName")) or name,
            dn=str(entry["dn"]),
            display_name=_first(attributes.get("displayName")) or name,
            guid=_guid(entry),
            groups=frozenset(groups),
            mail=_first(attributes.get("mail")),
        )

    def groups(self, user_dn: str) -> set[str] | None:
        with self._service() as conn:
            found = _search(
                conn,
                user_dn,
                "(objectClass=user)",
                BASE,
                ["userAccountControl"],
                base_may_be_gone=True,
            )
            if not found or _disabled(found[0]["attributes"]):
                return None
            return self._groups_of(conn, user_dn)

    def lockout_policy(self) -> LockoutPolicy:
        with self._service() as conn:
            root = _search(conn, "", "(objectClass=*)", BASE, ["defaultNamingContext"])
            domain_dn = _first(root[0]["attributes"].get("defaultNamingContext")) if root else None
            domain = (
                _search(conn, domain_dn, "(objectClass=domainDNS)", BASE, list(_DOMAIN_POLICY))
                if domain_dn
                else []
            )
            if not domain or _first(domain[0]["attributes"].get("lockoutThreshold")) is None:
                raise ConfigurationError(
                    f"cannot read the lockout policy (lockoutThreshold) of the login "
                    f"directory's domain {domain_dn or '(no defaultNamingContext)'} as "
                    f"{self.config.bind_dn}: Fixline must know it to keep its login limit "
                    "below it; let the lookup account read the domain object"
                )
            # Readable only with a grant on the container; those that stay hidden are
            # caught per account (msDS-ResultantPSO) before any bind.
            psos = _search(
                conn,
                f"CN=Password Settings Container,CN=System,{domain_dn}",
                "(objectClass=msDS-PasswordSettings)",
                SUBTREE,
                list(_PSO_POLICY),
                base_may_be_gone=True,
            )
        return _policy(domain[0], psos)

    def _groups_of(self, conn: Connection, user_dn: str) -> set[str]:
        in_chain = f"(&(objectClass=group)(member:{IN_CHAIN}:={value(user_dn)}))"
        groups = _search(conn, self.config.base_dn, in_chain, SUBTREE, ["sAMAccountName"])
        return {
            name for entry in groups if (name := _first(entry["attributes"].get("sAMAccountName")))
        }

    def open_bound(self, user_dn: str, password: str) -> Connection:
        """A connection bound as user_dn (every bind goes through here); the caller closes it."""
        check_password(password)
        server = Server(
            self._host,
            port=self._port,
            use_ssl=self._use_ssl,
            tls=VerifiedTls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_data=self.config.ca_pem,
                valid_names=[self.config.tls_name],
                sni=self.config.tls_name,
            ),
            get_info=NONE,
            connect_timeout=self.config.timeout_s,
        )
        conn = Connection(
            server,
            user=user_dn,
            password=password,
            authentication=SIMPLE,
            # ldap3 packs it into SO_RCVTIMEO as a C long: whole seconds only.
            receive_timeout=max(1, math.ceil(self.config.timeout_s)),
            raise_exceptions=False,
            auto_referrals=False,
            read_only=True,
        )
        try:
            conn.open()
            # Plain ldap:// is only a way to StartTLS: no password goes out unencrypted.
            if not self._use_ssl and not conn.start_tls():
                raise LoginUnavailableError("the login directory refused StartTLS")
            bound = conn.bind()
        except (LDAPException, OSError) as exc:
            close_connection(conn)
            raise LoginUnavailableError(
                f"the login directory {self.config.url} did not answer within "
                f"{self.config.timeout_s:g} s or failed the TLS check ({type(exc).__name__})"
            ) from exc
        except LoginUnavailableError:
            close_connection(conn)
            raise
        if not bound:
            result = conn.result
            close_connection(conn)
            raise LoginRejectedError(bind_reason(result))
        return conn

    @contextmanager
    def _service(self) -> Iterator[Connection]:
        try:
            conn = self.open_bound(
                self.config.bind_dn, self.config.bind_password.get_secret_value()
            )
        except LoginRejectedError as exc:
            raise LoginUnavailableError(
                f"the login directory refused Fixline's lookup account: {exc.reason}"
            ) from exc
        try:
            yield conn
        except LDAPException as exc:
            raise LoginUnavailableError(
                f"the login directory failed a lookup ({type(exc).__name__})"
            ) from exc
        finally:
            close_connection(conn)


def _search(
    conn: Connection,
    base: str,
    search_filter: str,
    scope: str,
    attributes: list[str],
    size_limit: int = 0,
    base_may_be_gone: bool = False,
) -> list[dict[str, Any]]:
    """The entries found; LoginUnavailableError on errors (a missing base is one unless told)."""
    conn.search(base, search_filter, scope, attributes=attributes, size_limit=size_limit)
    code = int(conn.result.get("result", -1))
    allowed = {_SUCCESS, _SIZE_LIMIT_EXCEEDED} | ({_NO_SUCH_OBJECT} if base_may_be_gone else set())
    if code not in allowed:
        raise LoginUnavailableError(
            f"the login directory failed a lookup (result {code}); check login_base_dn"
        )
    # Referrals (searchResRef, no DN) to other partitions come along: skip them.
    return [entry for entry in conn.response or [] if entry.get("type") == "searchResEntry"]


def _guid(entry: dict[str, Any]) -> str:
    """The objectGUID as text; without one there is no identity to bind a session to."""
    raw = entry.get("raw_attributes", {}).get("objectGUID") or []
    if not raw or len(raw[0]) != 16:
        raise LoginUnavailableError("the login directory gave the account no objectGUID")
    # AD stores the GUID's first three fields little-endian (as Windows shows it).
    return str(uuid.UUID(bytes_le=bytes(raw[0])))


def _policy(domain: dict[str, Any], psos: list[dict[str, Any]]) -> LockoutPolicy:
    """The lowest threshold and longest window of the domain and the readable PSOs."""
    sources = [(domain, _DOMAIN_POLICY)] + [(pso, _PSO_POLICY) for pso in psos]
    thresholds = [int(_first(e["attributes"].get(names[0])) or 0) for e, names in sources]
    windows = [interval_s(_first(e["attributes"].get(names[1]))) or 0 for e, names in sources]
    locking = [threshold for threshold in thresholds if threshold > 0]
    return LockoutPolicy(
        threshold=min(locking) if locking else 0,
        window_s=max(windows),
        read_psos=frozenset(str(pso["dn"]).lower() for pso in psos),
    )


def _below_lockout(policy: LockoutPolicy, attributes: dict[str, Any]) -> None:
    """NearLockoutError when the bind could lock the account; LoginUnavailableError when a
    fine-grained policy Fixline cannot read governs it (its threshold is unknown)."""
    pso = _first(attributes.get("msDS-ResultantPSO"))
    if pso and pso.lower() not in policy.read_psos:
        raise LoginUnavailableError(
            f"the account is governed by the fine-grained password policy {pso}, which "
            "Fixline's lookup account cannot read, so Fixline cannot stay below its lockout "
            "threshold: let the lookup account read the Password Settings Container"
        )
    policy.check_account(
        int(_first(attributes.get("badPwdCount")) or 0),
        filetime(_first(attributes.get("badPasswordTime"))),
        datetime.now(UTC),
    )


def _disabled(attributes: dict[str, Any]) -> bool:
    control = _first(attributes.get("userAccountControl")) or "0"
    return bool(int(control) & ACCOUNT_DISABLED)


def _first(values: object) -> str | None:
    if isinstance(values, list):
        return str(values[0]) if values else None
    return None if values is None or values == "" else str(values)
