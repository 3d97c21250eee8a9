"""The vetted actions of this release: their parameters and risk."""

from __future__ import annotations

from pydantic import Field, SecretStr

from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier
from runner_api.catalog.params import ActionParams

HOST_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$"


class SmokeCheckParams(ActionParams):
    host: str = Field(
        pattern=HOST_PATTERN, description="Inventory host to check.", examples=["lab-host"]
    )
    secret: SecretStr | None = Field(
        None,
        min_length=8,
        description="Optional value sent to the host and read back, proving that secrets "
        "reach hosts intact; never stored or shown.",
    )


class ServiceRestartParams(ActionParams):
    host: str = Field(
        pattern=HOST_PATTERN, description="Inventory host of the service.", examples=["lab-host"]
    )
    unit: str = Field(
        pattern=r"^[A-Za-z0-9@._-]{1,128}$",
        description="Service to restart; must be on the customer's `services` allow-list.",
        examples=["fixline-lab-web"],
    )


class SoftwareInstallParams(ActionParams):
    host: str = Field(
        pattern=HOST_PATTERN, description="Inventory host to install on.", examples=["lab-host"]
    )
    package: str = Field(
        pattern=r"^[a-z0-9][a-z0-9+.-]{1,127}$",
        description="Package to install; must be on the customer's `packages` allow-list.",
        examples=["fixline-lab-hello"],
    )


def builtin_actions() -> list[ActionSpec]:
    """Every vetted action this release ships."""
    return [
        ActionSpec(
            name="smoke_check",
            kind=ActionKind.PLAYBOOK,
            title="Check a host",
            description="Harmless reachability check: login, Python, uptime, disk use.",
            params_model=SmokeCheckParams,
            risk=RiskTier.LOW,
            target_param="host",
            playbook="smoke_check",
        ),
        ActionSpec(
            name="service_restart",
            kind=ActionKind.PLAYBOOK,
            title="Restart a service",
            description="Restart one allow-listed service on a host and confirm it runs.",
            params_model=ServiceRestartParams,
            risk=RiskTier.MEDIUM,
            target_param="host",
            allowlisted={"unit": "services"},
            playbook="service_restart",
        ),
        ActionSpec(
            name="software_install",
            kind=ActionKind.PLAYBOOK,
            title="Install software",
            description="Install one allow-listed package on a host from its configured "
            "repositories.",
            params_model=SoftwareInstallParams,
            risk=RiskTier.MEDIUM,
            target_param="host",
            allowlisted={"package": "packages"},
            playbook="software_install",
        ),
    ]
