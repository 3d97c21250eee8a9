"""API shapes of the directory picker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Origin(StrEnum):
    """Where an account lives, and so where its fixes go."""

    ACTIVE_DIRECTORY = "active_directory"
    ENTRA_ID = "entra_id"
    SYNCED = "synced"


ORIGIN_HELP = (
    "Where the account lives, and so where fixes go. `active_directory`: on-premises only, "
    "every fix goes to AD. `entra_id`: cloud-only, every fix goes to Entra ID (an unlock is "
    "refused: smart lockout ends by itself). `synced`: an AD account synced to Entra ID "
    "(onPremisesSyncEnabled); its password, enable/disable and groups are changed in AD, its "
    "sessions, MFA methods and Temporary Access Pass in Entra ID (for a customer whose AD "
    "Fixline does not reach, identity `entra`, the AD ones are refused: change them in AD)."
)


class DirectoryUser(BaseModel):
    """One user as the picker shows it (never a password or a DN outside the user OUs)."""

    username: str = Field(
        description="What actions take: the sAMAccountName of an AD or synced account, the "
        "user principal name of a cloud-only one."
    )
    origin: Origin = Field(description=ORIGIN_HELP)
    upn: str | None = Field(
        None, description="User principal name in Entra ID; None for an account only in AD."
    )
    display_name: str | None = None
    mail: str | None = None
    enabled: bool
    locked: bool | None = Field(
        description="Locked out in AD. None where it cannot be known: Microsoft Graph does "
        "not tell whether Entra ID's smart lockout holds a cloud account (it ends by itself), "
        "nor a synced account's AD state when AD did not answer."
    )
    last_logon: datetime | None = Field(
        None, description="Last logon the DC knows of (UTC); None when unknown (cloud-only)."
    )
    password_age_days: int | None = Field(
        None, description="Days since the password was set; None when unknown (cloud-only)."
    )
    must_change_password: bool | None = Field(
        description="Must change the password at next logon (AD); None when unknown "
        "(Graph does not return a cloud account's password profile)."
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Groups (names): direct ones in AD; for a cloud-only account every group "
        "in Entra ID, nested included.",
    )
    protected: bool = Field(
        description="Privileged or deny-listed: fixes will be refused. AD: adminCount, "
        "privileged or protected groups, deny list. Entra ID: deny list, a directory role "
        "(directly or through a group), a role-assignable or protected group. A synced "
        "account is flagged when either directory protects it (the fixes that go to that "
        "directory are refused). An early warning only: each fix checks again before it "
        "changes anything."
    )
