"""The directory actions: their parameters, risk and descriptions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from runner_api.catalog.models import AccountRole, ActionKind, ActionSpec, RiskTier
from runner_api.catalog.params import USERNAME_FIELD, ActionParams, FutureDatetime

# sAMAccountName: at most 20 characters, none of " / \ [ ] : ; | = , + * ? < > @ or controls.
_SAM = r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}"
SAM_ACCOUNT_NAME_PATTERN = f"^{_SAM}$"
# A user principal name as Entra ID accepts it, narrowed: a local part of letters, digits
# and . _ ' - (64 at most), then a DNS name of two labels or more. No space, slash, double
# quote or percent sign reaches a Graph path (where the UPN goes, percent-encoded).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_UPN = rf"[A-Za-z0-9][A-Za-z0-9._'-]{{0,63}}@{_LABEL}(?:\.{_LABEL})+"
# Either: an AD customer looks a UPN up as a login, finds none and changes nothing.
USERNAME_PATTERN = f"^(?:{_SAM}|{_UPN})$"
# Entra ID's limit for a UPN.
USERNAME_MAX = 113
GROUP_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
_USERNAME = Field(
    pattern=USERNAME_PATTERN,
    max_length=USERNAME_MAX,
    description="The account: its login (sAMAccountName), inside the customer's user OUs; "
    "or, for Entra ID, its user principal name (user@domain).",
    examples=["jdoe", "jdoe@contoso.com"],
    json_schema_extra=USERNAME_FIELD,
)


class UserParams(ActionParams):
    username: str = _USERNAME


class VerificationMethod(StrEnum):
    CALLBACK = "callback"
    MANAGER = "manager"
    MFA_PUSH = "mfa_push"
    IN_PERSON = "in_person"


class CallerVerification(ActionParams):
    """How the agent made sure the caller is the account's owner (kept with the run)."""

    method: VerificationMethod = Field(
        description="callback (to a number on record), manager (confirmed by the manager), "
        "mfa_push (approved on the user's registered device) or in_person (ID checked)."
    )
    note: str = Field(
        "", max_length=500, description="What was checked, e.g. which number was called back."
    )


class PasswordResetParams(UserParams):
    caller_verification: CallerVerification = Field(
        description="Required: a reset for an unverified caller is refused.",
        examples=[{"method": "callback", "note": "called back on the number in the HR record"}],
    )
    unlock: bool = Field(False, description="Also unlock the account if it is locked out.")


class GroupParams(UserParams):
    group: str = Field(
        pattern=GROUP_PATTERN,
        description="Group name; must be on the customer's `groups` allow-list.",
        examples=["VPN-Users"],
    )


class GroupAddParams(GroupParams):
    expires_at: FutureDatetime | None = Field(
        None,
        description="When the membership is revoked again (a scheduled group_remove run on "
        "the same ticket); with a time zone, in the future.",
        examples=["2030-01-31T18:00:00Z"],
    )


def action_spec(
    name: str,
    title: str,
    description: str,
    params: type[BaseModel],
    risk: RiskTier,
    *,
    vip_approval: bool = False,
) -> ActionSpec:
    """A directory action on the account `username` names (AD or Entra ID)."""
    allowlisted = {"group": "groups"} if issubclass(params, GroupParams) else {}
    return ActionSpec(
        name=name,
        kind=ActionKind.DIRECTORY,
        title=title,
        description=description,
        params_model=params,
        risk=risk,
        target_param="username",
        timeout_s=120,
        supports_check_mode=True,
        allowlisted=allowlisted,
        accounts={"username": AccountRole.OWNER},
        vip_approval=vip_approval,
    )


def directory_actions() -> list[ActionSpec]:
    """Every directory action this release ships."""
    return [
        action_spec(
            "password_reset",
            "Reset a password",
            "Set a random temporary password (shown once to the requester) that must be "
            "changed at next logon; optionally unlock the account.",
            PasswordResetParams,
            RiskTier.HIGH,
            # A reset hands the account to whoever called: a VIP's waits for a second person.
            vip_approval=True,
        ),
        action_spec(
            "account_unlock",
            "Unlock an account",
            "Clear a lockout; the password is not touched.",
            UserParams,
            RiskTier.MEDIUM,
        ),
        action_spec(
            "account_enable",
            "Enable an account",
            "Clear the account-disabled flag.",
            UserParams,
            RiskTier.MEDIUM,
        ),
        action_spec(
            "account_disable",
            "Disable an account",
            "Set the account-disabled flag; the user can no longer log on.",
            UserParams,
            RiskTier.MEDIUM,
        ),
        action_spec(
            "group_add",
            "Add to a group",
            "Add the user to an allow-listed group, optionally until `expires_at`.",
            GroupAddParams,
            RiskTier.MEDIUM,
        ),
        action_spec(
            "group_remove",
            "Remove from a group",
            "Remove the user from an allow-listed group.",
            GroupParams,
            RiskTier.MEDIUM,
        ),
    ]
