"""API shapes of the mailbox look-up."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OofRead(BaseModel):
    state: str = Field(description="Disabled, Enabled or Scheduled.")
    audience: str = Field(description="Outside senders who get a reply: None, Known, All.")
    internal_message: str
    external_message: str
    start: str | None = Field(None, description="Scheduled only (UTC, ISO 8601).")
    end: str | None = None


class RuleRead(BaseModel):
    name: str
    enabled: bool
    forward_to: list[str] = Field(default_factory=list)
    redirect_to: list[str] = Field(default_factory=list)


class PermissionRead(BaseModel):
    user: str = Field(description="SMTP address, or Default / Anonymous.")
    level: str


class DelegateRead(BaseModel):
    user: str
    display_name: str | None = None
    calendar: str
    inbox: str


class InboxRead(BaseModel):
    total: int
    unread: int


class MailboxInfoRead(BaseModel):
    """A mailbox as the agent sees it before acting (read through impersonation)."""

    mailbox: str
    oof: OofRead
    rules: list[RuleRead]
    permissions: dict[str, list[PermissionRead]] = Field(
        description="calendar and inbox ACLs (those the backend can read)."
    )
    unresolved_permissions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per folder, the ACL entries Exchange cannot resolve to anyone (a deleted "
        "user's SID, no level): shown as they are, kept when the folder is changed.",
    )
    delegates: list[DelegateRead]
    inbox: InboxRead | None = Field(None, description="Item counts of the inbox.")
    unavailable: list[str] = Field(
        default_factory=list,
        description="What the customer's backend has no API for, and why (Exchange Online "
        "through Microsoft Graph: Inbox permissions, delegates).",
    )
