"""Bound, TLS-verified connections per customer, kept in a small thread-safe pool."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from ldap3 import NO_INFO, SIMPLE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPCommunicationError,
    LDAPException,
    LDAPResponseTimeoutError,
    LDAPStartTLSError,
)

from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory.errors import (
    DirectoryBindError,
    DirectoryUnreachableError,
    bind_reason,
    data_code,
)
from runner_api.errors import ConfigurationError, FixlineError
from runner_api.secrets.credentials import CredentialSource, DirectoryCredential

# ldap3 errors that mean "the link is gone or the DC did not answer in time".
LINK_ERRORS: tuple[type[Exception], ...] = (
    LDAPCommunicationError,
    LDAPResponseTimeoutError,
    LDAPStartTLSError,
    OSError,
)


def directory_of(customer: Customer) -> DirectoryConfig:
    """The customer's DirectoryConfig; ConfigurationError when it has no directory."""
    if customer.directory is None:
        raise ConfigurationError(f"customer {customer.name!r} has no directory configured")
    return customer.directory


def tls_for(config: DirectoryConfig, credential: DirectoryCredential) -> Tls:
    """TLS that verifies the DC's certificate against the customer's CA and tls_name."""
    return Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_data=credential.ca_pem,
        valid_names=[config.tls_name],
        sni=config.tls_name,
    )


def unreachable(
    config: DirectoryConfig, exc: BaseException | None = None
) -> DirectoryUnreachableError:
    """The error for a DC that is down, refuses, fails TLS or is slower than timeout_s."""
    why = f" ({type(exc).__name__})" if exc is not None else ""
    return DirectoryUnreachableError(
        f"directory unreachable: no answer from {config.url} within {config.timeout_s:g} s "
        f"or the TLS check failed{why}"
    )


def open_connection(customer: Customer, credential: DirectoryCredential) -> Connection:
    """A new connection, TLS verified, bound as the customer's delegated account."""
    config = directory_of(customer)
    url = urlparse(config.url)
    if url.scheme not in ("ldaps", "ldap") or not url.hostname:
        raise ConfigurationError(f"directory url {config.url!r} is not ldaps:// or ldap://")
    use_ssl = url.scheme == "ldaps"
    server = Server(
        url.hostname,
        port=url.port or (636 if use_ssl else 389),
        use_ssl=use_ssl,
        tls=tls_for(config, credential),
        get_info=NO_INFO,
        connect_timeout=config.timeout_s,
    )
    conn = Connection(
        server,
        user=credential.bind_dn,
        password=credential.password.get_secret_value(),
        authentication=SIMPLE,
        receive_timeout=config.timeout_s,
        raise_exceptions=False,
        auto_referrals=False,
        read_only=False,
    )
    try:
        conn.open()
        # Plain ldap:// is only a way to StartTLS: the bind never goes out unencrypted.
        if not use_ssl and not conn.start_tls():
            raise unreachable(config)
        if not conn.bind():
            raise DirectoryBindError(
                f"bind of the service account {credential.bind_dn!r} to {config.url} failed: "
                f"{bind_reason(conn.result)}",
                data_code(conn.result),
            )
    except LINK_ERRORS as exc:
        conn.unbind()
        raise unreachable(config, exc) from exc
    except (DirectoryBindError, DirectoryUnreachableError, LDAPException):
        conn.unbind()
        raise
    return conn


class ConnectionPool:
    """Idle bound connections per customer; each is used by one thread at a time."""

    def __init__(self, credentials: CredentialSource, size: int = 4) -> None:
        self._credentials = credentials
        self._size = size
        self._idle: dict[str, list[Connection]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, customer: Customer) -> Iterator[tuple[Connection, bool]]:
        """A bound connection and whether it was reused; dropped from the pool on link errors."""
        with self._lock:
            idle = self._idle.setdefault(customer.name, [])
            conn = idle.pop() if idle else None
        reused = conn is not None
        if conn is None:
            conn = open_connection(customer, self._credentials.directory_credential(customer.name))
        try:
            yield conn, reused
        except DirectoryUnreachableError:
            _close(conn)
            raise
        except FixlineError:
            # The DC answered (a result code): the connection is fine, keep it.
            self._release(customer, conn)
            raise
        except BaseException:
            # A dropped link or a bug: the connection's state is unknown, never reuse it.
            _close(conn)
            raise
        self._release(customer, conn)

    def _release(self, customer: Customer, conn: Connection) -> None:
        surplus: Connection | None = conn
        with self._lock:
            idle = self._idle.setdefault(customer.name, [])
            if len(idle) < self._size and not conn.closed:
                idle.append(conn)
                surplus = None
        if surplus is not None:
            _close(surplus)

    def close(self) -> None:
        """Unbind every idle connection (at shutdown)."""
        with self._lock:
            conns = [conn for idle in self._idle.values() for conn in idle]
            self._idle.clear()
        for conn in conns:
            _close(conn)


def _close(conn: Connection) -> None:
    with contextlib.suppress(LDAPException, OSError):  # already gone: nothing to release
        conn.unbind()
