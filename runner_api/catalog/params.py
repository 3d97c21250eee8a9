"""Parameter types shared by the actions of several features."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, JsonValue, ValidationInfo

from runner_api.moments import UtcMoment


def _in_future(value: datetime, info: ValidationInfo) -> datetime:
    if value <= datetime.now(UTC):
        raise ValueError(f"{info.field_name} must be in the future")
    return value


# JSON Schema keyword naming the attribute of a picked user (GET /directory/users) a field
# takes: `mail` for an address, `username` for a login. The page fills the target field
# from it, so a mailbox never gets a login.
USER_ATTRIBUTE = "x-user-attribute"
MAIL_FIELD: dict[str, JsonValue] = {USER_ATTRIBUTE: "mail"}
USERNAME_FIELD: dict[str, JsonValue] = {USER_ATTRIBUTE: "username"}

# JSON Schema keyword for free text of several lines (a message, not a name): the page gives
# it a text area, so line breaks the agent types reach the backend (Graph and EWS keep them).
MULTILINE = "x-multiline"
MULTILINE_FIELD: dict[str, JsonValue] = {MULTILINE: True}

# A moment with a time zone that has not passed yet (e.g. when a grant expires).
FutureDatetime = Annotated[UtcMoment, AfterValidator(_in_future)]


class ActionParams(BaseModel):
    """Base of every action's parameters: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
