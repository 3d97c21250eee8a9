"""The mailbox actions: their parameters, risk and descriptions."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from runner_api.catalog.models import AccountRole, ActionKind, ActionSpec, RiskTier
from runner_api.catalog.params import MAIL_FIELD, MULTILINE_FIELD, ActionParams, FutureDatetime
from runner_api.mailbox.gateway import Audience, Folder

# A plain SMTP address; Exchange checks the rest. Lower-cased before use.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
MAX_MESSAGE = 4000


class Level(StrEnum):
    """Folder permission levels agents may grant (never Owner; Custom is not offered)."""

    REVIEWER = "Reviewer"
    CONTRIBUTOR = "Contributor"
    NONEDITING_AUTHOR = "NoneditingAuthor"
    AUTHOR = "Author"
    PUBLISHING_AUTHOR = "PublishingAuthor"
    EDITOR = "Editor"
    PUBLISHING_EDITOR = "PublishingEditor"
    # Calendar only.
    FREE_BUSY_TIME_ONLY = "FreeBusyTimeOnly"
    FREE_BUSY_TIME_AND_SUBJECT_AND_LOCATION = "FreeBusyTimeAndSubjectAndLocation"


CALENDAR_ONLY = frozenset(
    {Level.FREE_BUSY_TIME_ONLY, Level.FREE_BUSY_TIME_AND_SUBJECT_AND_LOCATION}
)


def _email(description: str, example: str) -> Any:
    return Field(
        pattern=EMAIL_PATTERN,
        max_length=254,
        description=description,
        examples=[example],
        json_schema_extra=MAIL_FIELD,
    )


class MailboxParams(ActionParams):
    mailbox: str = _email(
        "The target mailbox (primary SMTP address), in the customer's accepted domains.",
        "anna.schmidt@lab.test",
    )

    @field_validator("mailbox")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class OofSetParams(MailboxParams):
    internal_message: str = Field(
        min_length=1,
        max_length=MAX_MESSAGE,
        description="Reply to senders inside the org.",
        json_schema_extra=MULTILINE_FIELD,
    )
    external_message: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_MESSAGE,
        description="Reply to senders outside; the internal message when not given.",
        json_schema_extra=MULTILINE_FIELD,
    )
    audience: Audience = Field(
        Audience.KNOWN, description="Outside senders who get a reply: None, Known (contacts), All."
    )
    start: AwareDatetime | None = Field(None, description="Replies start (with end: Scheduled).")
    end: FutureDatetime | None = Field(None, description="Replies stop; in the future.")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class ForwardingSetParams(MailboxParams):
    forward_to: str = _email(
        "Where a copy of every incoming message goes; outside the customer's accepted "
        "domains the run waits for approval.",
        "ben.carter@lab.test",
    )

    @field_validator("forward_to")
    @classmethod
    def _lower_to(cls, value: str) -> str:
        return value.lower()


class FolderParams(MailboxParams):
    folder: Folder = Field(description="calendar or inbox of the target mailbox.")
    user: str = _email(
        "The colleague (SMTP address) whose permission changes.", "emma.larsen@lab.test"
    )

    @field_validator("user")
    @classmethod
    def _lower_user(cls, value: str) -> str:
        return value.lower()


class FolderGrantParams(FolderParams):
    level: Level = Field(description="Permission level (FreeBusy* on the calendar only).")
    expires_at: FutureDatetime | None = Field(
        None,
        description="When the permission is revoked again (a scheduled "
        "mailbox_folder_permission_revoke run on the same ticket); in the future.",
        examples=["2030-01-31T18:00:00Z"],
    )

    @model_validator(mode="after")
    def _level_fits(self) -> Self:
        if self.level in CALENDAR_ONLY and self.folder is not Folder.CALENDAR:
            raise ValueError(f"level {self.level.value} exists on the calendar only")
        return self


# Actions that give someone access to a VIP's mail, send it elsewhere or answer in the VIP's
# name wait for a second person. Those that take such a thing away (clear, revoke) do not:
# the revoke a grant with expires_at schedules must never wait for anyone.
VIP_APPROVAL = frozenset(
    {"mailbox_oof_set", "mailbox_forwarding_set", "mailbox_folder_permission_grant"}
)
_ACCOUNT_PARAMS = {
    "mailbox": AccountRole.OWNER,
    "user": AccountRole.GRANTEE,
    "forward_to": AccountRole.RECIPIENT,
}


def _spec(
    name: str, title: str, description: str, params: type[BaseModel], risk: RiskTier
) -> ActionSpec:
    return ActionSpec(
        name=name,
        kind=ActionKind.MAILBOX,
        title=title,
        description=description,
        params_model=params,
        risk=risk,
        target_param="mailbox",
        timeout_s=120,
        supports_check_mode=True,
        accounts={k: v for k, v in _ACCOUNT_PARAMS.items() if k in params.model_fields},
        vip_approval=name in VIP_APPROVAL,
    )


def mailbox_actions() -> list[ActionSpec]:
    """Every mailbox action this release ships."""
    return [
        _spec("mailbox_info", "Look at a mailbox",
              "Out-of-office, inbox rules, Calendar and Inbox permissions and delegates; "
              "read-only.", MailboxParams, RiskTier.LOW),
        _spec("mailbox_oof_set", "Set out-of-office",
              "Turn on automatic replies (internal and external message, audience), "
              "optionally only between start and end.", OofSetParams, RiskTier.LOW),
        _spec("mailbox_oof_clear", "Clear out-of-office",
              "Turn automatic replies off (the messages are kept).", MailboxParams, RiskTier.LOW),
        _spec("mailbox_forwarding_set", "Forward incoming mail",
              "An inbox rule in the mailbox forwarding a copy of every message to a colleague "
              "inside the customer; forwarding outside waits for a second person's approval.",
              ForwardingSetParams, RiskTier.HIGH),
        _spec("mailbox_forwarding_clear", "Stop forwarding",
              "Remove the forwarding rule Fixline created.", MailboxParams, RiskTier.MEDIUM),
        _spec("mailbox_folder_permission_grant", "Share a folder",
              "Give a colleague a permission level on the Calendar or Inbox, optionally "
              "until expires_at.", FolderGrantParams, RiskTier.MEDIUM),
        _spec("mailbox_folder_permission_revoke", "Unshare a folder",
              "Remove a colleague's permission on the Calendar or Inbox.",
              FolderParams, RiskTier.MEDIUM),
    ]  # fmt: skip
