"""API shapes of the directory picker."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DirectoryUser(BaseModel):
    """One user as the picker shows it (never a password or a DN outside the user OUs)."""

    username: str = Field(description="Login (sAMAccountName); what actions take.")
    display_name: str | None = None
    mail: str | None = None
    enabled: bool
    locked: bool
    last_logon: datetime | None = Field(None, description="Last logon the DC knows of (UTC).")
    password_age_days: int | None = Field(None, description="Days since the password was set.")
    must_change_password: bool
    groups: list[str] = Field(default_factory=list, description="Direct groups (names).")
    protected: bool = Field(description="Privileged or deny-listed: actions will be refused.")
