"""The certificate actions of the catalog: their parameters and risk."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from runner_api.catalog.actions import HOST_PATTERN
from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier
from runner_api.catalog.params import ActionParams

# The longest life of a certificate the CA issues: 397 days, the CA/Browser Forum limit.
MAX_VALIDITY_DAYS = 397


class CertIssueInstallParams(ActionParams):
    host: str = Field(
        pattern=HOST_PATTERN,
        description="Inventory host; the certificate's names come from the inventory only.",
        examples=["lab-host"],
    )
    validity_days: int = Field(
        90, ge=1, le=MAX_VALIDITY_DAYS, description="Life of the certificate."
    )


class CertInstallParams(ActionParams):
    host: str = Field(pattern=HOST_PATTERN, description="Inventory host.", examples=["lab-host"])
    bundle: SecretStr = Field(
        min_length=64,
        description="PEM text (certificate, chain, private key) or base64 of a PFX; "
        "validated before anything is pushed, never stored or shown.",
    )
    bundle_password: SecretStr | None = Field(None, min_length=4, description="PFX password.")


class CertExpiryReportParams(ActionParams):
    within_days: int = Field(30, ge=1, le=3650, description="Report what expires this soon.")
    # The target of the run: the report covers the whole customer.
    scope: Literal["customer"] = "customer"


def pki_actions() -> list[ActionSpec]:
    """Certificate actions: issue + install, install a supplied bundle, the expiry report."""
    return [
        ActionSpec(
            name="cert_issue_install",
            kind=ActionKind.CERTIFICATE,
            title="Issue and install a server certificate",
            description="Issue a certificate for an inventory host from the customer's CA, "
            "install it with its chain, trust the CA, reload the service, verify the handshake.",
            params_model=CertIssueInstallParams,
            risk=RiskTier.MEDIUM,
            target_param="host",
            playbook="cert_install",
        ),
        ActionSpec(
            name="cert_install",
            kind=ActionKind.CERTIFICATE,
            title="Install a supplied certificate",
            description="Validate a PEM or PFX bundle (parses, key matches, chain to the "
            "customer's CA, not expired, usage, host name), then install it like an issued one.",
            params_model=CertInstallParams,
            risk=RiskTier.MEDIUM,
            target_param="host",
            playbook="cert_install",
        ),
        ActionSpec(
            name="cert_expiry_report",
            kind=ActionKind.CERTIFICATE,
            title="Report expiring certificates",
            description="Certificates Fixline issued, and those served by inventory hosts, "
            "that expire within N days.",
            params_model=CertExpiryReportParams,
            risk=RiskTier.LOW,
            target_param="scope",
            supports_check_mode=False,
        ),
    ]
