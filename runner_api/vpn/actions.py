"""The VPN actions of the catalog."""

from __future__ import annotations

from pydantic import Field

from runner_api.catalog.models import AccountRole, ActionKind, ActionSpec, RiskTier
from runner_api.catalog.params import USERNAME_FIELD, ActionParams, FutureDatetime
from runner_api.directory.actions import SAM_ACCOUNT_NAME_PATTERN

VPN_GRANT = "vpn_grant"
VPN_REVOKE = "vpn_revoke"


class VpnRevokeParams(ActionParams):
    username: str = Field(
        pattern=SAM_ACCOUNT_NAME_PATTERN,
        description="The account (sAMAccountName); it names the client certificate too.",
        examples=["jdoe"],
        json_schema_extra=USERNAME_FIELD,
    )


class VpnGrantParams(VpnRevokeParams):
    expires_at: FutureDatetime | None = Field(
        None,
        description="When access ends: a vpn_revoke run is scheduled on the same ticket, and "
        "the client certificate expires then too.",
        examples=["2030-01-31T18:00:00Z"],
    )


def vpn_actions() -> list[ActionSpec]:
    """vpn_grant and vpn_revoke."""
    return [
        ActionSpec(
            name=VPN_GRANT,
            kind=ActionKind.VPN,
            title="Grant VPN access",
            description="Add the user to the customer's VPN group, issue a client certificate, "
            "admit it on the VPN server, and hand the profile (.ovpn) over once.",
            params_model=VpnGrantParams,
            risk=RiskTier.HIGH,
            target_param="username",
            accounts={"username": AccountRole.OWNER},
            playbook="vpn_access",
        ),
        ActionSpec(
            name=VPN_REVOKE,
            kind=ActionKind.VPN,
            title="Revoke VPN access",
            description="Remove the user from the VPN group, revoke their client certificates "
            "(CRL on the server), drop a live session and remove the client config.",
            params_model=VpnRevokeParams,
            risk=RiskTier.MEDIUM,
            target_param="username",
            accounts={"username": AccountRole.OWNER},
            playbook="vpn_revoke",
        ),
    ]
