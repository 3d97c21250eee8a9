"""API shapes of tokens: the secret appears in exactly one answer, the creation's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from runner_api.auth.principal import Role
from runner_api.catalog.params import FutureDatetime

_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$"
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class TokenCreate(BaseModel):
    """A token for an integration (ticket system, monitoring)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME, examples=["rt-webhook"])
    role: Role = Role.AGENT
    customers: list[Slug] | None = Field(
        None,
        max_length=200,
        description="Customers the token may act on; omit only for admin or auditor tokens.",
    )
    actions: list[Slug] | None = Field(
        None, max_length=200, description="Limit to these actions (default: all of the role)."
    )
    expires_at: FutureDatetime | None = None


class TokenRead(BaseModel):
    """A token as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    customers: list[str] | None
    actions: list[str] | None
    created_by: str
    created_by_id: str
    # The person the token acts for (its creator's): approvals compare persons.
    person: str
    # The break-glass token of settings (FIXLINE_BOOTSTRAP_TOKEN).
    bootstrap: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None


class TokenIssued(TokenRead):
    """The answer to a creation: `token` is shown this once and cannot be read again."""

    token: str
