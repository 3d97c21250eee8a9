"""Folder ACL read and write as our own small EWS services (exchangelib 5.6 gets them wrong).

exchangelib's own path (`folder.permission_set = ...; folder.save(...)`) does not follow
types.xsd: it writes <t:CalendarPermissionLevel> inside an Inbox <t:Permission> (and reads
every Inbox level as "None"), puts <t:UserId> last instead of first, spells
CanCreateSubFolders with a small f, wraps a calendar in <t:Folder> instead of
<t:CalendarFolder>, rejects the TimeOnly ReadItems real calendars return, and save() crawls
the whole folder tree. These services send exactly GetFolder (IdOnly + folder:PermissionSet)
and UpdateFolder (SetFolderField folder:PermissionSet with the change key), on exchangelib's
own transport, impersonation header and error handling, without patching anything private.
Unset flags are omitted so Exchange derives them from the level; Custom entries (which we
never create) are written back with the flags they were read with.

Unknown entries: Exchange answers an entry it cannot resolve (a deleted user) in
<t:UnknownEntries> after the list, as bare SID text, no level. They are kept apart (never an
entry of their own, so a folder holding one can still be changed) and written back
verbatim in <t:UnknownEntries>, the one place types.xsd (PermissionSetType,
CalendarPermissionSetType) has for them. Never as a <t:Permission> with a <t:SID> UserId:
there is no level to send and Exchange would have to resolve the SID, which is why it is
unknown. Microsoft documents that resetting the PermissionSet with SetFolderField deletes
unknown entries; that writing them back keeps them is not documented, so the executor
reads the ACL again after such a write and reports the ones that went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchangelib.services.common import EWSAccountService
from exchangelib.util import MNS, TNS, add_xml_child, create_element

from runner_api.mailbox.gateway import Folder, FolderPermission

FLAG_ORDER = (
    "CanCreateItems", "CanCreateSubFolders", "IsFolderOwner", "IsFolderVisible",
    "IsFolderContact", "EditItems", "DeleteItems", "ReadItems",
)  # fmt: skip


@dataclass
class Acl:
    """A folder's id, change key and entries, as read (flags kept for Custom entries)."""

    folder: Folder
    folder_id: str
    change_key: str
    entries: list[FolderPermission]
    custom_flags: dict[str, dict[str, str]] = field(default_factory=dict)
    # Permission entries without an SMTP address (a SID or an external user Exchange did
    # resolve): a write would have to name them back another way, so writes refuse then.
    opaque: list[str] = field(default_factory=list)
    # UnknownEntries: the texts Exchange could not resolve, in its order.
    unresolved: list[str] = field(default_factory=list)


def _t(name: str) -> str:
    return f"{{{TNS}}}{name}"


def _kind(folder: Folder) -> tuple[str, str, str]:
    """(holder, entry, level element) names of a folder's PermissionSet."""
    if folder is Folder.CALENDAR:
        return "CalendarFolder", "CalendarPermission", "CalendarPermissionLevel"
    return "Folder", "Permission", "PermissionLevel"


class GetFolderPermissions(EWSAccountService):  # type: ignore[misc]
    """GetFolder of one distinguished folder, IdOnly plus folder:PermissionSet."""

    SERVICE_NAME = "GetFolder"
    element_container_name = f"{{{MNS}}}Folders"
    ERRORS_TO_CATCH_IN_RESPONSE = ()

    def call(self, folder: Folder) -> Acl:
        elems = list(self._get_elements(payload=self.get_payload(folder)))
        for elem in elems:
            if isinstance(elem, Exception):
                raise elem
        if len(elems) != 1:
            raise ValueError(f"GetFolder returned {len(elems)} folders for {folder}")
        return parse_acl(elems[0], folder)

    def get_payload(self, folder: Folder) -> Any:
        payload = create_element(f"m:{self.SERVICE_NAME}")
        shape = create_element("m:FolderShape")
        add_xml_child(shape, "t:BaseShape", "IdOnly")
        extra = create_element("t:AdditionalProperties")
        extra.append(create_element("t:FieldURI", attrs={"FieldURI": "folder:PermissionSet"}))
        shape.append(extra)
        payload.append(shape)
        payload.append(folder_ids(folder.value, self.account.primary_smtp_address))
        return payload


def folder_ids(distinguished: str, mailbox: str) -> Any:
    """<m:FolderIds> naming one distinguished folder (inbox, calendar) of `mailbox`."""
    ids = create_element("m:FolderIds")
    folder = create_element("t:DistinguishedFolderId", attrs={"Id": distinguished})
    owner = create_element("t:Mailbox")
    add_xml_child(owner, "t:EmailAddress", mailbox)
    folder.append(owner)
    ids.append(folder)
    return ids


class SetFolderPermissions(EWSAccountService):  # type: ignore[misc]
    """UpdateFolder replacing a folder's whole PermissionSet, guarded by its change key."""

    SERVICE_NAME = "UpdateFolder"
    element_container_name = f"{{{MNS}}}Folders"
    ERRORS_TO_CATCH_IN_RESPONSE = ()

    def call(self, acl: Acl) -> None:
        for elem in self._get_elements(payload=self.get_payload(acl)):
            if isinstance(elem, Exception):
                raise elem

    def get_payload(self, acl: Acl) -> Any:
        holder_name, entry_name, level_name = _kind(acl.folder)
        payload = create_element(f"m:{self.SERVICE_NAME}")
        changes = create_element("m:FolderChanges")
        change = create_element("t:FolderChange")
        change.append(
            create_element("t:FolderId", attrs={"Id": acl.folder_id, "ChangeKey": acl.change_key})
        )
        updates = create_element("t:Updates")
        set_field = create_element("t:SetFolderField")
        set_field.append(create_element("t:FieldURI", attrs={"FieldURI": "folder:PermissionSet"}))
        holder = create_element(f"t:{holder_name}")
        permission_set = create_element("t:PermissionSet")
        entries = create_element(f"t:{entry_name}s")
        for perm in acl.entries:
            entry = create_element(f"t:{entry_name}")
            user_id = create_element("t:UserId")
            id_field = "t:DistinguishedUser" if perm.distinguished else "t:PrimarySmtpAddress"
            add_xml_child(user_id, id_field, perm.user)
            entry.append(user_id)
            flags = acl.custom_flags.get(perm.user, {}) if perm.level == "Custom" else {}
            for name in FLAG_ORDER:
                if name in flags:
                    add_xml_child(entry, f"t:{name}", flags[name])
            add_xml_child(entry, f"t:{level_name}", perm.level)
            entries.append(entry)
        permission_set.append(entries)
        if acl.unresolved:
            unknown = create_element("t:UnknownEntries")
            for text in acl.unresolved:
                add_xml_child(unknown, "t:UnknownEntry", text)
            permission_set.append(unknown)
        holder.append(permission_set)
        set_field.append(holder)
        updates.append(set_field)
        change.append(updates)
        changes.append(change)
        payload.append(changes)
        return payload


def parse_acl(elem: Any, folder: Folder) -> Acl:
    """An Acl from a <t:Folder>/<t:CalendarFolder> response element (any level element name)."""
    folder_id = elem.find(_t("FolderId"))
    if folder_id is None:
        raise ValueError("GetFolder answer without a FolderId")
    acl = Acl(folder, folder_id.get("Id", ""), folder_id.get("ChangeKey", ""), [])
    pset = elem.find(_t("PermissionSet"))
    for part in pset if pset is not None else ():
        if part.tag == _t("UnknownEntries"):
            acl.unresolved.extend((e.text or "").strip() for e in part if (e.text or "").strip())
        else:  # <t:Permissions> or <t:CalendarPermissions>
            for entry in part:
                _add_entry(acl, entry)
    return acl


def _add_entry(acl: Acl, entry: Any) -> None:
    values = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in entry}
    # Exchange answers PermissionLevel for Inbox and CalendarPermissionLevel for calendars.
    level = values.get("CalendarPermissionLevel") or values.get("PermissionLevel") or "None"
    user_id = entry.find(_t("UserId"))
    children = list(user_id) if user_id is not None else []
    ids = {c.tag.rsplit("}", 1)[-1]: (c.text or "").strip() for c in children}
    if ids.get("DistinguishedUser"):
        perm = FolderPermission(ids["DistinguishedUser"], level, distinguished=True)
    elif ids.get("PrimarySmtpAddress"):
        perm = FolderPermission(ids["PrimarySmtpAddress"].lower(), level)
    else:
        # A resolved user without an address (a SID, an external identity): shown, but a
        # whole-ACL write could not name it back by address.
        name = ids.get("SID") or ids.get("ExternalUserIdentity") or "?"
        perm = FolderPermission(f"sid:{name}", level)
        acl.opaque.append(perm.user)
    acl.entries.append(perm)
    if level == "Custom":
        acl.custom_flags[perm.user] = {k: values[k] for k in FLAG_ORDER if k in values}
