"""Folder ACLs in the simulator: schema-lite checks of what clients send, and rendering.

The checks follow types.xsd (BasePermissionType, PermissionType, CalendarPermissionType):
UserId first, elements in sequence order, exact names, levels and ReadItems values from
their enumerations, and the CalendarFolder holder for a calendar. Exchange answers a
violation with ErrorSchemaValidation; so does the simulator. This is what catches the
exchangelib 5.6 permission-write bugs (see docs in runner_api/mailbox/ews_permissions.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lab.ews.soap import T, text
from lab.ews.state import CALENDAR_LEVELS, FOLDER_LEVELS, Folder, Permission

FLAG_ORDER = (
    "CanCreateItems", "CanCreateSubFolders", "IsFolderOwner", "IsFolderVisible",
    "IsFolderContact", "EditItems", "DeleteItems", "ReadItems",
)  # fmt: skip
USER_ID_ORDER = ("SID", "PrimarySmtpAddress", "DisplayName", "DistinguishedUser",
                 "ExternalUserIdentity")  # fmt: skip
READ_ITEMS = frozenset({"None", "FullDetails"})
CALENDAR_READ_ITEMS = READ_ITEMS | {"TimeOnly", "TimeAndSubjectAndLocation"}
# Flags Exchange reports for each named level (create, subfolders, owner, visible, contact,
# edit, delete, read).
_LEVEL_FLAGS: dict[str, tuple[str, ...]] = {
    "None": ("false", "false", "false", "false", "false", "None", "None", "None"),
    "Owner": ("true", "true", "true", "true", "true", "All", "All", "FullDetails"),
    "PublishingEditor": ("true", "true", "false", "true", "false", "All", "All", "FullDetails"),
    "Editor": ("true", "false", "false", "true", "false", "All", "All", "FullDetails"),
    "PublishingAuthor": ("true", "true", "false", "true", "false", "Owned", "Owned", "FullDetails"),
    "Author": ("true", "false", "false", "true", "false", "Owned", "Owned", "FullDetails"),
    "NoneditingAuthor": ("true", "false", "false", "true", "false", "None", "Owned", "FullDetails"),
    "Reviewer": ("false", "false", "false", "true", "false", "None", "None", "FullDetails"),
    "Contributor": ("true", "false", "false", "true", "false", "None", "None", "None"),
    "FreeBusyTimeOnly": ("false", "false", "false", "false", "false", "None", "None", "TimeOnly"),
    "FreeBusyTimeAndSubjectAndLocation": (
        "false", "false", "false", "false", "false", "None", "None", "TimeAndSubjectAndLocation",
    ),
}  # fmt: skip


class SchemaViolationError(Exception):
    """What ErrorSchemaValidation reports."""


def _local(elem: ET.Element) -> str:
    return elem.tag.rsplit("}", 1)[-1]


def _in_order(names: list[str], order: tuple[str, ...], where: str) -> None:
    positions = []
    for name in names:
        if name not in order:
            raise SchemaViolationError(f"The element '{where}' has invalid child element '{name}'.")
        positions.append(order.index(name))
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        raise SchemaViolationError(f"The children of '{where}' are out of order: {names}.")


def parse_acl(holder: ET.Element, calendar: bool) -> list[Permission]:
    """The entries of a SetFolderField holder (<t:Folder> or <t:CalendarFolder>)."""
    want = "CalendarFolder" if calendar else "Folder"
    if _local(holder) != want:
        raise SchemaViolationError(f"'{_local(holder)}' cannot hold the PermissionSet of a {want}.")
    pset = holder.find(f"{{{T}}}PermissionSet")
    if pset is None or len(pset) != 1:
        raise SchemaViolationError("PermissionSet must hold exactly one list of permissions.")
    kind, level_name = (
        ("CalendarPermission", "CalendarPermissionLevel") if calendar else
        ("Permission", "PermissionLevel")
    )  # fmt: skip
    if _local(pset[0]) != f"{kind}s":
        raise SchemaViolationError(f"'{_local(pset[0])}' is not valid here: expected '{kind}s'.")
    return [_entry(entry, kind, level_name, calendar) for entry in pset[0]]


def _entry(entry: ET.Element, kind: str, level_name: str, calendar: bool) -> Permission:
    if _local(entry) != kind:
        raise SchemaViolationError(f"'{_local(entry)}' is not valid in {kind}s.")
    names = [_local(child) for child in entry]
    if not names or names[0] != "UserId":
        raise SchemaViolationError(f"'{kind}' must start with 'UserId'; got {names}.")
    _in_order(names[1:], (*FLAG_ORDER, level_name), kind)
    if names[-1] != level_name:
        raise SchemaViolationError(f"'{kind}' must end with '{level_name}'; got {names}.")
    values = {_local(child): (child.text or "") for child in entry}
    levels = CALENDAR_LEVELS if calendar else FOLDER_LEVELS
    level = values[level_name]
    if level not in levels:
        raise SchemaViolationError(f"'{level}' is not a valid value of {level_name}.")
    read = values.get("ReadItems")
    if read is not None and read not in (CALENDAR_READ_ITEMS if calendar else READ_ITEMS):
        raise SchemaViolationError(f"'{read}' is not a valid value of ReadItems.")
    user_id = entry[0]
    id_names = [_local(child) for child in user_id]
    _in_order(id_names, USER_ID_ORDER, "UserId")
    ids = {_local(child): (child.text or "").strip() for child in user_id}
    if "DistinguishedUser" in ids:
        user, distinguished = ids["DistinguishedUser"], True
    elif "PrimarySmtpAddress" in ids:
        user, distinguished = ids["PrimarySmtpAddress"].lower(), False
    else:
        raise SchemaViolationError("UserId needs PrimarySmtpAddress or DistinguishedUser.")
    flags = {name: values[name] for name in FLAG_ORDER if name in values}
    return Permission(user, level, distinguished, flags if level == "Custom" else {})


def render_acl(folder: Folder, names: dict[str, str]) -> str:
    """<t:PermissionSet> as Exchange returns it (every flag spelled out)."""
    kind, level_name = (
        ("CalendarPermission", "CalendarPermissionLevel") if folder.is_calendar else
        ("Permission", "PermissionLevel")
    )  # fmt: skip
    entries = []
    for perm in folder.permissions:
        if perm.distinguished:
            user_id = f"<t:DistinguishedUser>{text(perm.user)}</t:DistinguishedUser>"
        else:
            shown = text(names.get(perm.user, perm.user))
            user_id = (
                f"<t:PrimarySmtpAddress>{text(perm.user)}</t:PrimarySmtpAddress>"
                f"<t:DisplayName>{shown}</t:DisplayName>"
            )
        flags = _LEVEL_FLAGS.get(perm.level)
        values = dict(zip(FLAG_ORDER, flags, strict=True)) if flags is not None else perm.flags
        if not folder.is_calendar and values.get("ReadItems") not in (None, *READ_ITEMS):
            values["ReadItems"] = "FullDetails"
        body = "".join(
            f"<t:{name}>{values[name]}</t:{name}>" for name in FLAG_ORDER if name in values
        )
        entries.append(
            f"<t:{kind}><t:UserId>{user_id}</t:UserId>{body}"
            f"<t:{level_name}>{perm.level}</t:{level_name}></t:{kind}>"
        )
    return f"<t:PermissionSet><t:{kind}s>{''.join(entries)}</t:{kind}s></t:PermissionSet>"
