"""Graph's JSON as the gateway's value types, and the query pieces built from input."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

from runner_api.graph.gateway import (
    AuthMethod,
    CloudGroup,
    CloudUser,
    GroupKind,
    TemporaryAccessPass,
)

USER_FIELDS = (
    "id,userPrincipalName,displayName,mail,accountEnabled,onPremisesSyncEnabled,"
    "onPremisesSamAccountName"
)
GROUP_FIELDS = "id,displayName,groupTypes,mailEnabled,securityEnabled,isAssignableToRole"
_TYPE_PREFIX = "#microsoft.graph."
_METHOD_SUFFIX = "AuthenticationMethod"


def segment(value: str) -> str:
    """An id or UPN as one URL path segment; ValueError for what cannot name an object."""
    text = value.strip()
    if text in ("", ".", "..") or any(ord(char) < 32 for char in text):
        raise ValueError(f"{value!r} cannot name a directory object")
    return quote(text, safe="@")


def odata_string(value: str) -> str:
    """A string literal for $filter: quotes doubled, as OData escapes them."""
    return "'" + value.replace("'", "''") + "'"


def search_clause(text: str) -> str:
    """$search over display name, UPN and mail; quotes and backslashes dropped from input."""
    words = "".join(char for char in text if char not in '"\\').strip()
    fields = ("displayName", "userPrincipalName", "mail")
    return " OR ".join(f'"{field}:{words}"' for field in fields)


def user(item: dict[str, Any]) -> CloudUser:
    return CloudUser(
        id=str(item["id"]),
        upn=str(item.get("userPrincipalName") or ""),
        display_name=item.get("displayName"),
        mail=item.get("mail"),
        account_enabled=bool(item.get("accountEnabled")),
        on_premises_sync_enabled=bool(item.get("onPremisesSyncEnabled")),
        on_premises_sam_account_name=item.get("onPremisesSamAccountName"),
    )


def group_kind(item: dict[str, Any]) -> GroupKind:
    """Microsoft's table of group types: Unified is Microsoft 365; else mail and security."""
    if "Unified" in (item.get("groupTypes") or ()):
        return GroupKind.MICROSOFT365
    mail, security = bool(item.get("mailEnabled")), bool(item.get("securityEnabled"))
    if mail:
        return GroupKind.MAIL_ENABLED_SECURITY if security else GroupKind.DISTRIBUTION
    return GroupKind.SECURITY


def group(item: dict[str, Any]) -> CloudGroup:
    return CloudGroup(
        id=str(item["id"]),
        name=str(item.get("displayName") or ""),
        kind=group_kind(item),
        role_assignable=bool(item.get("isAssignableToRole")),
    )


def method_kind(odata_type: str) -> str:
    """`#microsoft.graph.phoneAuthenticationMethod` -> `phone`."""
    return odata_type.removeprefix(_TYPE_PREFIX).removesuffix(_METHOD_SUFFIX)


# userPreferredMethodForSecondaryAuthentication -> (method kind, phoneType or None).
_PREFERRED = {
    "push": ("microsoftAuthenticator", None),
    "oath": ("softwareOath", None),
    "sms": ("phone", "mobile"),
    "voiceMobile": ("phone", "mobile"),
    "voiceAlternateMobile": ("phone", "alternateMobile"),
    "voiceOffice": ("phone", "office"),
}


def methods(items: list[dict[str, Any]], preferred: str | None) -> list[AuthMethod]:
    """The methods, the first one matching the user's preferred method marked default."""
    kind, phone_type = _PREFERRED.get(preferred or "", (None, None))
    found: list[AuthMethod] = []
    marked = False
    for item in items:
        this_kind = method_kind(str(item.get("@odata.type") or ""))
        default = (
            not marked
            and this_kind == kind
            and (phone_type is None or item.get("phoneType") == phone_type)
        )
        marked = marked or default
        found.append(AuthMethod(id=str(item["id"]), kind=this_kind, is_default=default))
    return found


def tap(item: dict[str, Any]) -> TemporaryAccessPass:
    start = item.get("startDateTime")
    return TemporaryAccessPass(
        id=str(item["id"]),
        value=SecretStr(str(item["temporaryAccessPass"])),
        lifetime_minutes=int(item["lifetimeInMinutes"]),
        usable_once=bool(item.get("isUsableOnce")),
        start=datetime.fromisoformat(str(start).replace("Z", "+00:00")) if start else None,
    )
