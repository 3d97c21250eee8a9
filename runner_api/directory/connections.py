"""Bound, TLS-verified connections per customer, kept in a small thread-safe pool."""

from __future__ import annotations

import contextlib
import math
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from ldap3 import BASE, NONE, SIMPLE, Connection, Server, Tls
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


class VerifiedTls(Tls):  # type: ignore[misc]
    """ldap3's Tls, but verified by the ssl module itself: CA and the DC's name (tls_name).

    ldap3 checks names after the handshake with the deprecated ssl.match_hostname, also
    accepting the IP it connected to, and leaks the socket when the check fails. Here the
    handshake itself fails on a wrong CA or name, and ssl closes the socket.
    """

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cadata=self.ca_certs_data)
        # create_default_context: CERT_REQUIRED, check_hostname, TLS 1.2 or newer.
        connection.socket = context.wrap_socket(
            connection.socket, server_hostname=self.sni, do_handshake_on_connect=do_handshake
        )


def tls_for(config: DirectoryConfig, credential: DirectoryCredential) -> VerifiedTls:
    """TLS that verifies the DC's certificate against the customer's CA and tls_name."""
    return VerifiedTls(
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
        get_info=NONE,  # no schema read: one round trip less per connection
        connect_timeout=config.timeout_s,
    )
    conn = Connection(
        server,
        user=credential.bind_dn,
        password=credential.password.get_secret_value(),
        authentication=SIMPLE,
        # ldap3 packs it into SO_RCVTIMEO as a C long: whole seconds only.
        receive_timeout=max(1, math.ceil(config.timeout_s)),
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
        close_quietly(conn)
        raise unreachable(config, exc) from exc
    except (DirectoryBindError, DirectoryUnreachableError, LDAPException):
        close_quietly(conn)
        raise
    return conn


# A write on a pooled connection idle longer than this first proves the link with one
# RootDSE read: DCs drop idle connections (AD's MaxConnIdleTime, and restarts), and a write
# sent into a dropped link would end "outcome unknown" although it never reached the DC.
PROBE_IDLE_S = 1.0


def _alive(conn: Connection) -> bool:
    try:
        conn.search("", "(objectClass=*)", BASE, attributes=["1.1"])
    except LDAPException:
        return False
    return int(conn.result.get("result", -1)) == 0


class ConnectionPool:
    """Idle bound connections per customer; each is used by one thread at a time."""

    def __init__(self, credentials: CredentialSource, size: int = 4) -> None:
        self._credentials = credentials
        self._size = size
        # Keyed by the customer's directory settings too: a changed URL or CA never
        # reuses a connection made for the old ones.
        self._idle: dict[tuple[str, DirectoryConfig], list[Connection]] = {}
        # id() of an idle connection -> when it went idle (time.monotonic()).
        self._since: dict[int, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def connection(
        self, customer: Customer, *, writing: bool = False
    ) -> Iterator[tuple[Connection, bool]]:
        """A bound connection and whether it was reused; dropped from the pool on link errors.

        writing: the caller will send a write, which is never repeated, so a connection
        that sat idle is proven alive first (a dead one is replaced, nothing was sent)."""
        with self._lock:
            idle = self._idle.setdefault(_key(customer), [])
            conn = idle.pop() if idle else None
            since = self._since.pop(id(conn), None) if conn is not None else None
        if (
            conn is not None
            and writing
            and (since is None or time.monotonic() - since > PROBE_IDLE_S)
            and not _alive(conn)
        ):
            close_quietly(conn)
            conn = None
        reused = conn is not None
        if conn is None:
            conn = open_connection(customer, self._credentials.directory_credential(customer.name))
        try:
            yield conn, reused
        except DirectoryUnreachableError:
            close_quietly(conn)
            raise
        except FixlineError:
            # The DC answered (a result code): the connection is fine, keep it.
            self._release(customer, conn)
            raise
        except BaseException:
            # A dropped link or a bug: the connection's state is unknown, never reuse it.
            close_quietly(conn)
            raise
        self._release(customer, conn)

    def _release(self, customer: Customer, conn: Connection) -> None:
        surplus: Connection | None = conn
        with self._lock:
            idle = self._idle.setdefault(_key(customer), [])
            if len(idle) < self._size and not conn.closed:
                idle.append(conn)
                self._since[id(conn)] = time.monotonic()
                surplus = None
        if surplus is not None:
            close_quietly(surplus)

    def close(self) -> None:
        """Unbind every idle connection (at shutdown)."""
        with self._lock:
            conns = [conn for idle in self._idle.values() for conn in idle]
            self._idle.clear()
            self._since.clear()
        for conn in conns:
            close_quietly(conn)


def _key(customer: Customer) -> tuple[str, DirectoryConfig]:
    return customer.name, directory_of(customer)


def close_quietly(conn: Connection) -> None:
    """Release a connection whatever its state (the agents' login uses it too)."""
    with contextlib.suppress(LDAPException, OSError):  # already gone: nothing to release
        conn.unbind()
    # A failed open leaves ldap3's socket behind (unbind skips it): close it ourselves.
    sock = getattr(conn, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
        conn.socket = None
