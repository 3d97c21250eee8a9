"""Exchange Online's mailbox values as Microsoft Graph writes them, and Fixline's models.

automaticRepliesSetting   status disabled|alwaysEnabled|scheduled, externalAudience
                          none|contactsOnly|all, messages in HTML, the window as
                          dateTimeTimeZone ({dateTime, timeZone}: a Windows zone name or UTC)
messageRule               displayName, isEnabled, actions.forwardTo / redirectTo (recipients)
calendarPermission        emailAddress, isRemovable, role (Graph's roles, mapped to the
                          Exchange levels agents know; some levels have no role)
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runner_api.mailbox.errors import MailboxOperationError
from runner_api.mailbox.gateway import Audience, FolderPermission, InboxRule, Oof, OofState

STATUS = {
    OofState.DISABLED: "disabled",
    OofState.ENABLED: "alwaysEnabled",
    OofState.SCHEDULED: "scheduled",
}
AUDIENCE = {Audience.NONE: "none", Audience.KNOWN: "contactsOnly", Audience.ALL: "all"}

# Exchange permission levels -> Graph calendar roles. Graph has no role for the authoring
# levels (Author, Contributor, NoneditingAuthor, PublishingAuthor, PublishingEditor).
ROLE_OF_LEVEL = {
    "FreeBusyTimeOnly": "freeBusyRead",
    "FreeBusyTimeAndSubjectAndLocation": "limitedRead",
    "Reviewer": "read",
    "Editor": "write",
}
LEVEL_OF_ROLE = {role: level for level, role in ROLE_OF_LEVEL.items()} | {
    "none": "None",
    # Read back as Graph names them; never granted here (a delegate receives meeting
    # requests on the owner's behalf: more than sharing a calendar).
    "delegateWithoutPrivateEventAccess": "DelegateWithoutPrivateEventAccess",
    "delegateWithPrivateEventAccess": "DelegateWithPrivateEventAccess",
    "custom": "Custom",
}

MY_ORGANIZATION = "My Organization"

# Windows time zone names Exchange Online uses for mailboxes -> IANA (Unicode CLDR's
# windowsZones, the zones of the customers' regions; any IANA name is taken as it is).
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "Romance Standard Time": "Europe/Paris",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "GTB Standard Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow",
    "Turkey Standard Time": "Europe/Istanbul",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Arabian Standard Time": "Asia/Dubai",
    "India Standard Time": "Asia/Calcutta",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Atlantic Standard Time": "America/Halifax",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Pacific Standard Time": "America/Bogota",
}
# Graph writes up to seven digits of a second; Python reads six.
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?$")
_BREAKS = frozenset({"br"})
_BLOCKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
_SKIPPED = frozenset({"style", "script", "head", "title"})


# Messages: agents type plain text; Exchange keeps HTML.


def to_html(text: str) -> str:
    """Plain text as the HTML body Exchange keeps: escaped, each line break a <br>."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "<br>\n".join(html.escape(line, quote=False) for line in lines)
    return f"<html>\n<body>\n{body}\n</body>\n</html>\n" if text else ""


class _Text(HTMLParser):
    """The text of an HTML message: line breaks from <br> and block ends, no markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # Source line breaks are spaces in HTML: only the tags above make lines.
        text = re.sub(r"\s*\n\s*", " ", data)
        if not self.parts or self.parts[-1].endswith("\n"):
            text = text.lstrip()
        self.parts.append(text)


def to_text(message: str) -> str:
    """An automatic reply as an agent reads it: the text of its HTML (or the plain text)."""
    if "<" not in message:
        return html.unescape(message).strip()
    parser = _Text()
    parser.feed(message)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n").strip()


# Automatic replies.


def oof_of(setting: dict[str, Any]) -> Oof:
    """An automaticRepliesSetting as Fixline's Oof."""
    try:
        state = next(s for s, wire in STATUS.items() if wire == setting.get("status"))
        audience = next(
            a for a, wire in AUDIENCE.items() if wire == setting.get("externalAudience")
        )
    except StopIteration:
        raise MailboxOperationError(
            f"Exchange Online sent automatic replies Fixline does not know: status "
            f"{setting.get('status')!r}, externalAudience {setting.get('externalAudience')!r}"
        ) from None
    scheduled = state is OofState.SCHEDULED
    return Oof(
        state=state,
        audience=audience,
        internal_message=to_text(str(setting.get("internalReplyMessage") or "")),
        external_message=to_text(str(setting.get("externalReplyMessage") or "")),
        start=moment(setting.get("scheduledStartDateTime")) if scheduled else None,
        end=moment(setting.get("scheduledEndDateTime")) if scheduled else None,
    )


def setting_of(oof: Oof) -> dict[str, Any]:
    """Fixline's Oof as the automaticRepliesSetting to PATCH (the window in UTC)."""
    setting: dict[str, Any] = {
        "status": STATUS[oof.state],
        "externalAudience": AUDIENCE[oof.audience],
        "internalReplyMessage": to_html(oof.internal_message),
        "externalReplyMessage": to_html(oof.external_message),
    }
    if oof.state is OofState.SCHEDULED and oof.start is not None and oof.end is not None:
        setting["scheduledStartDateTime"] = wire_moment(oof.start)
        setting["scheduledEndDateTime"] = wire_moment(oof.end)
    return setting


def wire_moment(value: datetime) -> dict[str, str]:
    """A dateTimeTimeZone in UTC: Exchange shows it in each reader's zone."""
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def zone(name: str) -> ZoneInfo:
    """The zone a dateTimeTimeZone or a mailbox names (Windows or IANA)."""
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        raise MailboxOperationError(
            f"Exchange Online named the time zone {name!r}, which Fixline cannot map"
        ) from None


def moment(value: Any) -> datetime | None:
    """A dateTimeTimeZone as an aware datetime; None when absent."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    found = _DATETIME.match(str(value["dateTime"]))
    if found is None:
        raise MailboxOperationError(f"Exchange Online sent a malformed time: {value!r}")
    whole, fraction = found.groups()
    local = datetime.fromisoformat(whole).replace(
        microsecond=int((fraction or "0")[:6].ljust(6, "0"))
    )
    return local.replace(tzinfo=zone(str(value.get("timeZone") or "UTC")))


# Inbox rules.


def _addresses(recipients: Any) -> tuple[str, ...]:
    found = []
    for recipient in recipients or ():
        address = ((recipient or {}).get("emailAddress") or {}).get("address")
        if address:
            found.append(str(address).lower())
    return tuple(found)


def rule_of(item: dict[str, Any]) -> InboxRule:
    actions = item.get("actions") or {}
    return InboxRule(
        rule_id=str(item["id"]),
        name=str(item.get("displayName") or ""),
        enabled=bool(item.get("isEnabled")),
        forward_to=_addresses(actions.get("forwardTo"))
        + _addresses(actions.get("forwardAsAttachmentTo")),
        redirect_to=_addresses(actions.get("redirectTo")),
    )


def forward_rule(name: str, forward_to: str) -> dict[str, Any]:
    """Fixline's forwarding rule: a copy of every message (no conditions) to one address.
    forwardTo, not redirectTo: the colleague sees who the message was for, and replies go
    to the sender, as with the EWS rule."""
    return {
        "displayName": name,
        "sequence": 1,
        "isEnabled": True,
        "actions": {
            "forwardTo": [{"emailAddress": {"address": forward_to}}],
            "stopProcessingRules": False,
        },
    }


# Calendar permissions.


def permission_of(item: dict[str, Any]) -> FolderPermission:
    """A calendarPermission as an ACL entry. Exchange Online's built-in entry "My
    Organization" (everyone in the organisation, not removable) is EWS's Default."""
    address = str((item.get("emailAddress") or {}).get("address") or "").lower()
    name = str((item.get("emailAddress") or {}).get("name") or "")
    role = str(item.get("role") or "none")
    if not address:
        user = "Default" if name in ("", MY_ORGANIZATION) else name
        return FolderPermission(user, LEVEL_OF_ROLE.get(role, role), distinguished=True)
    return FolderPermission(address, LEVEL_OF_ROLE.get(role, role))
