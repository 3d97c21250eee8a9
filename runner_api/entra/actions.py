"""The actions only Entra ID has: their parameters, risk and descriptions.

They are directory actions (ActionKind.DIRECTORY) like password_reset: the one executor of
that kind (runner_api/entra/routing.py) sends each run to Active Directory or Entra ID.
"""

from __future__ import annotations

from pydantic import Field

from runner_api.catalog.models import ActionSpec, RiskTier
from runner_api.directory.actions import CallerVerification, UserParams, action_spec

# Bounds of a Temporary Access Pass here: Graph allows 10 minutes to 30 days; a pass read
# to a caller over the phone should not outlive the working day.
TAP_MINUTES = (10, 480)
# Actions Active Directory has no counterpart of.
ENTRA_ONLY = frozenset({"session_revoke", "mfa_reset", "temporary_access_pass"})


class MfaResetParams(UserParams):
    caller_verification: CallerVerification = Field(
        description="Required: whoever signs in next registers the new methods.",
        examples=[{"method": "callback", "note": "called back on the number in the HR record"}],
    )


class TemporaryAccessPassParams(MfaResetParams):
    lifetime_minutes: int = Field(
        60,
        ge=TAP_MINUTES[0],
        le=TAP_MINUTES[1],
        description=f"How long the pass works, {TAP_MINUTES[0]} to {TAP_MINUTES[1]} minutes.",
    )
    usable_once: bool = Field(True, description="The pass signs in once only.")


def entra_actions() -> list[ActionSpec]:
    """The actions this release adds for Entra ID accounts."""
    return [
        action_spec(
            "session_revoke",
            "Revoke sign-in sessions",
            "Sign the user out everywhere: refresh tokens and session cookies of Entra ID are "
            "revoked (apps notice within minutes). Entra ID accounts only, synced ones too.",
            UserParams,
            RiskTier.MEDIUM,
        ),
        action_spec(
            "mfa_reset",
            "Reset MFA",
            "Remove every registered sign-in method but the password (the default one last), "
            "so the user registers again at next sign-in. Entra ID accounts only.",
            MfaResetParams,
            RiskTier.HIGH,
            vip_approval=True,
        ),
        action_spec(
            "temporary_access_pass",
            "Issue a Temporary Access Pass",
            "Issue a time-limited pass (shown once to the requester) with which the user signs "
            "in and registers new methods. Entra ID accounts only.",
            TemporaryAccessPassParams,
            RiskTier.HIGH,
            vip_approval=True,
        ),
    ]
