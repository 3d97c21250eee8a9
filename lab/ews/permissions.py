"""Folder ACLs in the simulator: what a SetFolderField carries, and GetFolder's rendering.

The request has passed schema.py by then (order, names, levels, ReadItems values, booleans);
what is left is what the schema cannot say: a calendar's PermissionSet comes in a
<t:CalendarFolder>, and who each UserId names. Entries a user since deleted left behind are
rendered as <t:UnknownEntries> after the list, as Exchange does; a SetFolderField may name
them again there (parse_acl returns those names apart).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from lab.ews.soap import OperationError, T, text
from lab.ews.state import Folder, Permission

FLAG_ORDER = (
    "CanCreateItems", "CanCreateSubFolders", "IsFolderOwner", "IsFolderVisible",
    "IsFolderContact", "EditItems", "DeleteItems", "ReadItems",
)  # fmt: skip
READ_ITEMS = frozenset({"None", "FullDetails"})
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


def _local(elem: ET.Element) -> str:
    return elem.tag.rsplit("}", 1)[-1]


def parse_acl(holder: ET.Element, calendar: bool) -> tuple[list[Permission], list[str]]:
    """The entries of a (schema-valid) SetFolderField holder, and the UnknownEntry texts."""
    want = "CalendarFolder" if calendar else "Folder"
    if _local(holder) != want:
        # Not a schema rule (both holders are valid there) and what Exchange answers is not
        # documented; refused as before, so exchangelib 5.6's <t:Folder> for a calendar shows.
        raise OperationError(
            "ErrorSchemaValidation",
            f"'{_local(holder)}' cannot hold the PermissionSet of a {want}.",
            as_fault=True,
            element=holder,
        )
    pset = holder.find(f"{{{T}}}PermissionSet")
    if pset is None or len(holder) != 1:
        raise OperationError(
            "ErrorIncorrectUpdatePropertyCount",
            "An object within a change description must contain one and only one property "
            "to modify.",
        )
    level_name = "CalendarPermissionLevel" if calendar else "PermissionLevel"
    entries = [_entry(entry, level_name) for entry in pset[0]]
    echoed = [(entry.text or "").strip() for entry in pset.iter(f"{{{T}}}UnknownEntry")]
    return entries, echoed


def _entry(entry: ET.Element, level_name: str) -> Permission:
    values = {_local(child): (child.text or "").strip() for child in entry}
    ids = {_local(child): (child.text or "").strip() for child in entry[0]}
    if "DistinguishedUser" in ids:
        user, distinguished = ids["DistinguishedUser"], True
    else:
        # Exchange resolves the UserId in the directory: a SID of a deleted user (what an
        # UnknownEntry shows) or an address without a mailbox names nobody; the operation
        # answers ErrorInvalidUserInfo for it.
        user = ids.get("PrimarySmtpAddress", "").lower() or ids.get("SID", "")
        distinguished = False
    level = values[level_name]
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
    unknown = "".join(f"<t:UnknownEntry>{text(e.sid)}</t:UnknownEntry>" for e in folder.unknown)
    tail = f"<t:UnknownEntries>{unknown}</t:UnknownEntries>" if unknown else ""
    return f"<t:PermissionSet><t:{kind}s>{''.join(entries)}</t:{kind}s>{tail}</t:PermissionSet>"
