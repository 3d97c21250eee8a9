"""CertificateExecutor: issue or validate a certificate, install it by playbook, verify it.

cryptography does the certificate work in-process; the `cert_install` role pushes it over
SSH; a TLS handshake from here proves the host serves it. Never raises.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr

from runner_api.pki import bundle as bundles
from runner_api.pki.actions import CertExpiryReportParams, CertInstallParams, CertIssueInstallParams
from runner_api.pki.authority import CustomerCa, fingerprint
from runner_api.pki.errors import TlsCheckError
from runner_api.pki.inventory import CertHost, cert_host
from runner_api.pki.keys import SigningKey, generate, private_pem
from runner_api.pki.ledger import CertificateLedger, facts
from runner_api.pki.policy import Identity, Template, build
from runner_api.pki.probe import TlsProbe
from runner_api.playbooks.outcome import tool_versions
from runner_api.runs.context import Executor, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import checkpoint, emit, run_action, versions_of

SYSTEM = "certificate"
# Actions whose runs record a certificate Fixline issued (the expiry report reads them).
ISSUING_ACTIONS = ("cert_issue_install", "cert_install", "vpn_grant")
REVOKING_ACTIONS = ("vpn_revoke",)
TLS_CHECK_TIMEOUT_S = 5.0


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(
    ca: CustomerCa, customer: str, identity: Identity, template: Template, days: int
) -> tuple[x509.Certificate, SigningKey]:
    """A new key and a certificate for it, as the policy alone shapes it."""
    key = generate()
    cert = ca.sign(
        customer, build(identity, template, key.public_key(), ca.certificate(customer), days)
    )
    return cert, key


class CertificateExecutor:
    """Runs certificate actions; implements runner_api.runs.context.Executor."""

    def __init__(
        self, ca: CustomerCa, playbooks: Executor, ledger: CertificateLedger, probe: TlsProbe
    ) -> None:
        self._ca = ca
        self._playbooks = playbooks
        self._ledger = ledger
        self._probe = probe
        self._versions = {**versions_of("cryptography"), **tool_versions()}
        self._actions = {
            "cert_issue_install": self._issue_install,
            "cert_install": self._install_supplied,
            "cert_expiry_report": self._expiry_report,
        }

    def execute(self, ctx: RunContext) -> Outcome:
        """Run ctx.action; every failure becomes an Outcome."""
        return run_action(ctx, self._actions, SYSTEM, self._versions)

    def _issue_install(self, ctx: RunContext) -> Outcome:
        params = CertIssueInstallParams.model_validate(ctx.params)
        host = cert_host(ctx.customer.inventory_dir, params.host)
        ca = self._ca.certificate(ctx.customer.name)
        # Built (and policy-checked) in check mode too; only a real run signs.
        build(host.identity, Template.SERVER, generate().public_key(), ca, params.validity_days)
        if ctx.check_mode:
            return Outcome(
                RunStatus.SUCCEEDED,
                changed=True,
                summary=f"would issue and install a certificate for {_names(host)}",
            )
        cert, key = issue(
            self._ca, ctx.customer.name, host.identity, Template.SERVER, params.validity_days
        )
        emit(ctx, "issued", f"issued serial {cert.serial_number:x} for {_names(host)}")
        return self._deploy(ctx, host, cert, (), key)

    def _install_supplied(self, ctx: RunContext) -> Outcome:
        params = CertInstallParams.model_validate(ctx.params)
        host = cert_host(ctx.customer.inventory_dir, params.host)
        password = (
            params.bundle_password.get_secret_value().encode() if params.bundle_password else None
        )
        parsed = bundles.parse(params.bundle.get_secret_value().encode(), password)
        bundles.check(parsed, host.identity, [self._ca.certificate(ctx.customer.name)])
        emit(
            ctx, "validated", f"bundle valid for {host.name}: serial {parsed.leaf.serial_number:x}"
        )
        if ctx.check_mode:
            return Outcome(
                RunStatus.SUCCEEDED,
                changed=True,
                summary=f"would install the supplied certificate on {host.name}",
            )
        return self._deploy(ctx, host, parsed.leaf, parsed.chain, parsed.key)

    def _deploy(
        self,
        ctx: RunContext,
        host: CertHost,
        cert: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        key: SigningKey,
    ) -> Outcome:
        checkpoint(ctx, SYSTEM)
        key_pem = private_pem(key)
        # Before the key goes anywhere: from here on every event and text is scrubbed of it.
        ctx.redactor.add(key_pem)
        ca_pem = self._ca.show(ctx.customer.name).certificate_pem
        params: dict[str, Any] = {
            "certificate": "".join(pem(c) for c in (cert, *chain)),
            "key": SecretStr(key_pem),
            "ca": ca_pem,
            "ca_name": f"fixline-{ctx.customer.name}",
        }
        if host.platform == "windows":
            params |= _pfx(ctx, cert, chain, key)
        outcome = self._playbooks.execute(replace(ctx, params=params, target=host.name))
        details = {**outcome.details, "certificate": facts(cert)}
        if outcome.status is not RunStatus.SUCCEEDED:
            return replace(outcome, details=details)
        if host.tls_port is not None:
            served = self._probe.served_certificate(
                host.address, host.tls_port, host.name, ca_pem, TLS_CHECK_TIMEOUT_S
            )
            if fingerprint(served) != fingerprint(cert):
                raise TlsCheckError(
                    f"{host.name}:{host.tls_port} still serves {fingerprint(served)}, "
                    f"not the new certificate {fingerprint(cert)}"
                )
            details["served"] = {"port": host.tls_port, "fingerprint_sha256": fingerprint(served)}
            emit(ctx, "verified", f"{host.name}:{host.tls_port} serves the new chain")
        summary = (
            f"{outcome.summary}; serial {cert.serial_number:x}, SHA-256 {fingerprint(cert)}, "
            f"valid until {cert.not_valid_after_utc:%Y-%m-%d}"
        ).lstrip("; ")
        return replace(outcome, summary=summary, details=details)

    def _expiry_report(self, ctx: RunContext) -> Outcome:
        params = CertExpiryReportParams.model_validate(ctx.params)
        limit = datetime.now(UTC) + timedelta(days=params.within_days)
        customer = ctx.customer.name
        revoked = {serial for serial, _ in self._ledger.revoked(customer, REVOKING_ACTIONS)}
        latest = {(c.action, c.target): c for c in self._ledger.issued(customer, ISSUING_ACTIONS)}
        expiring: list[dict[str, Any]] = [
            {"source": "issued", "action": c.action, "target": c.target, "subject": c.subject,
             "serial": format(c.serial, "x"), "not_after": c.not_after.isoformat()}
            for c in latest.values()
            if c.serial not in revoked and c.not_after <= limit
        ]  # fmt: skip
        for name in sorted(ctx.customer.hosts):
            host = cert_host(ctx.customer.inventory_dir, name)
            if host.tls_port is None:
                continue
            try:
                served = self._probe.served_certificate(
                    host.address, host.tls_port, name, None, TLS_CHECK_TIMEOUT_S
                )
            except TlsCheckError as exc:
                emit(ctx, "unreachable", exc.message)
                continue
            if served.not_valid_after_utc <= limit:
                expiring.append({"source": "host", "target": name, **facts(served)})
        summary = (
            f"{len(expiring)} certificate(s) of {customer} expire within {params.within_days} days"
        )
        return Outcome(RunStatus.SUCCEEDED, summary=summary, details={"expiring": expiring})


def _names(host: CertHost) -> str:
    return ", ".join((*host.identity.dns_names, *host.identity.ip_addresses))


def _pfx(
    ctx: RunContext, cert: x509.Certificate, chain: tuple[x509.Certificate, ...], key: SigningKey
) -> dict[str, SecretStr]:
    """The Windows branch imports a PFX: key and chain sealed with a one-run password."""
    password = secrets.token_urlsafe(24)
    pfx = pkcs12.serialize_key_and_certificates(
        b"fixline", key, cert, list(chain) or None,
        serialization.BestAvailableEncryption(password.encode()),
    )  # fmt: skip
    encoded = base64.b64encode(pfx).decode()
    for value in (password, encoded):
        ctx.redactor.add(value)
    return {"pfx": SecretStr(encoded), "pfx_password": SecretStr(password)}
