"""The check from the control side: which certificate does a host serve now?"""

from __future__ import annotations

import socket
import ssl
from typing import Protocol

from cryptography import x509

from runner_api.pki.errors import TlsCheckError


class TlsProbe(Protocol):
    def served_certificate(
        self, address: str, port: int, server_name: str, ca_pem: str | None, timeout_s: float
    ) -> x509.Certificate:
        """The leaf the host presents; verified against ca_pem (and the name) when given."""
        ...


class SocketTlsProbe:
    """TlsProbe over a real TLS handshake (ssl module)."""

    def served_certificate(
        self, address: str, port: int, server_name: str, ca_pem: str | None, timeout_s: float
    ) -> x509.Certificate:
        if ca_pem is not None:
            context = ssl.create_default_context(cadata=ca_pem)
        else:
            # Inventory scans look at whatever is served, trusted or not: read, never trust.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((address, port), timeout=timeout_s) as raw,
                context.wrap_socket(raw, server_hostname=server_name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
        except ssl.SSLCertVerificationError as exc:
            raise TlsCheckError(
                f"{server_name} serves a chain that does not verify: {exc.verify_message}"
            ) from None
        except OSError as exc:
            raise TlsCheckError(f"TLS handshake with {server_name}:{port} failed: {exc}") from None
        if der is None:
            raise TlsCheckError(f"{server_name}:{port} presented no certificate")
        return x509.load_der_x509_certificate(der)
