"""The EWS operations the simulator answers; each acts on one resolved mailbox."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta

from lab.ews import permissions, soap
from lab.ews.soap import M, OperationError, T, text
from lab.ews.state import Folder, Mailbox, Oof, Permission, Rule, SimulatorState

_BOOLEANS = frozenset({"IsEnabled", "IsNotSupported", "IsInError", "StopProcessingRules",
                       "Delete", "MarkAsRead", "PermanentDelete"})  # fmt: skip

Handler = Callable[[SimulatorState, Mailbox, ET.Element], bytes]


def _t(elem: ET.Element | None, path: str) -> str | None:
    """Text at a path of t:-prefixed names ("UserOofSettings/OofState")."""
    if elem is None:
        return None
    found = elem.find("/".join(f"{{{T}}}{part}" for part in path.split("/")))
    return found.text if found is not None and found.text is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def get_oof(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    oof = box.oof
    start = oof.start or soap.now()
    end = oof.end or start + timedelta(days=1)
    settings = (
        f'<t:OofSettings xmlns:t="{T}"><t:OofState>{oof.state}</t:OofState>'
        f"<t:ExternalAudience>{oof.external_audience}</t:ExternalAudience>"
        f"<t:Duration><t:StartTime>{soap.stamp(start)}</t:StartTime>"
        f"<t:EndTime>{soap.stamp(end)}</t:EndTime></t:Duration>"
        f"<t:InternalReply><t:Message>{text(oof.internal_reply)}</t:Message></t:InternalReply>"
        f"<t:ExternalReply><t:Message>{text(oof.external_reply)}</t:Message></t:ExternalReply>"
        "</t:OofSettings><m:AllowExternalOof>All</m:AllowExternalOof>"
    )
    return soap.success("GetUserOofSettings", settings)


def set_oof(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    settings = request.find(f"{{{T}}}UserOofSettings")
    new_state = _t(settings, "OofState") or "Disabled"  # the schema made sure it is one
    start, end = _time(_t(settings, "Duration/StartTime")), _time(_t(settings, "Duration/EndTime"))
    if new_state == "Scheduled" and (start is None or end is None or start >= end):
        raise OperationError("ErrorOofDurationInvalid", "a Scheduled OOF needs start < end")
    old = box.oof
    # Replies and times not sent are kept, as Exchange does.
    box.oof = Oof(
        state=new_state,
        external_audience=_t(settings, "ExternalAudience") or old.external_audience,
        start=start or old.start,
        end=end or old.end,
        internal_reply=_t(settings, "InternalReply/Message") or old.internal_reply,
        external_reply=_t(settings, "ExternalReply/Message") or old.external_reply,
    )
    return soap.success("SetUserOofSettings")


def _rule_xml(rule: Rule) -> str:
    elem = ET.Element(f"{{{T}}}Rule")
    rule_id = ET.SubElement(elem, f"{{{T}}}RuleId")
    rule_id.text = rule.rule_id
    elem.extend(child for child in rule.element if child.tag != f"{{{T}}}RuleId")
    answer = ET.fromstring(ET.tostring(elem))  # noqa: S314 (our own element)
    for node in answer.iter():
        # xs:boolean may arrive as 1/0; Exchange answers true/false (exchangelib reads only those).
        if node.tag.rsplit("}", 1)[-1] in _BOOLEANS and node.text in ("1", "0"):
            node.text = "true" if node.text == "1" else "false"
    return ET.tostring(answer, encoding="unicode")


def get_rules(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    rules = "".join(_rule_xml(rule) for rule in box.rules)
    blob = "<m:OutlookRuleBlobExists>false</m:OutlookRuleBlobExists>"
    return soap.success(
        "GetInboxRules", blob + (f"<m:InboxRules>{rules}</m:InboxRules>" if rules else "")
    )


def update_rules(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    operations = request.find(f"{{{M}}}Operations")
    for op in operations if operations is not None else []:
        name = op.tag.rsplit("}", 1)[-1]
        if name == "CreateRuleOperation":
            rule = op.find(f"{{{T}}}Rule")
            if rule is None or not _t(rule, "DisplayName") or rule.find(f"{{{T}}}Actions") is None:
                raise OperationError("ErrorInboxRulesValidationError", "Failed to create rule")
            box.rules.append(Rule(state.new_rule_id(), rule))
        elif name in ("SetRuleOperation", "DeleteRuleOperation"):
            rule_id = _t(op, "Rule/RuleId") if name == "SetRuleOperation" else _t(op, "RuleId")
            found = [r for r in box.rules if r.rule_id == rule_id]
            if not found:
                raise OperationError("ErrorInboxRulesValidationError", f"no rule {rule_id}")
            index = box.rules.index(found[0])
            if name == "DeleteRuleOperation":
                del box.rules[index]
            else:
                new = op.find(f"{{{T}}}Rule")
                assert new is not None
                box.rules[index] = Rule(found[0].rule_id, new)
    return soap.success("UpdateInboxRules")


def get_delegates(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    users = []
    for delegate in box.delegates:
        users.append(
            '<m:DelegateUserResponseMessageType ResponseClass="Success">'
            "<m:ResponseCode>NoError</m:ResponseCode><m:DelegateUser>"
            f"<t:UserId><t:PrimarySmtpAddress>{text(delegate.user)}</t:PrimarySmtpAddress>"
            f"<t:DisplayName>{text(delegate.display_name)}</t:DisplayName></t:UserId>"
            "<t:DelegatePermissions>"
            f"<t:CalendarFolderPermissionLevel>{delegate.calendar}</t:CalendarFolderPermissionLevel>"
            f"<t:InboxFolderPermissionLevel>{delegate.inbox}</t:InboxFolderPermissionLevel>"
            "</t:DelegatePermissions>"
            "<t:ReceiveCopiesOfMeetingMessages>false</t:ReceiveCopiesOfMeetingMessages>"
            "<t:ViewPrivateItems>false</t:ViewPrivateItems></m:DelegateUser>"
            "</m:DelegateUserResponseMessageType>"
        )
    messages = f"<m:ResponseMessages>{''.join(users)}</m:ResponseMessages>" if users else ""
    meeting = "<m:DeliverMeetingRequests>DelegatesAndMe</m:DeliverMeetingRequests>"
    return soap.success("GetDelegate", messages, meeting)


def _folder_of(state: SimulatorState, box: Mailbox, ref: ET.Element) -> str:
    """The folder name a DistinguishedFolderId or FolderId points at (in this mailbox)."""
    name = ref.tag.rsplit("}", 1)[-1]
    if name == "DistinguishedFolderId":
        folder = ref.get("Id", "")
    else:
        wanted = ref.get("Id", "")
        matches = [f.name for f in box.folders.values() if f.folder_id == wanted]
        folder = matches[0] if matches else ""
    if folder not in box.folders:
        raise OperationError("ErrorFolderNotFound", "The specified folder could not be found.")
    return folder


def get_folder(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    ids = request.find(f"{{{M}}}FolderIds")
    wanted = {uri.get("FieldURI") for uri in request.iter(f"{{{T}}}FieldURI")}
    names = {b.address: b.display_name for b in state.mailboxes.values()}
    folders = []
    for ref in ids if ids is not None else []:
        folder = box.folders[_folder_of(state, box, ref)]
        tag = "CalendarFolder" if folder.is_calendar else "Folder"
        acl = permissions.render_acl(folder, names) if "folder:PermissionSet" in wanted else ""
        folders.append(
            f'<t:{tag}><t:FolderId Id="{folder.folder_id}" ChangeKey="{folder.change_key}"/>'
            f"<t:DisplayName>{folder.name.capitalize()}</t:DisplayName>"
            f"<t:TotalCount>0</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
            f"{acl}</t:{tag}>"
        )
    return soap.success("GetFolder", f"<m:Folders>{''.join(folders)}</m:Folders>")


def update_folder(state: SimulatorState, box: Mailbox, request: ET.Element) -> bytes:
    answers = []
    for change in request.iter(f"{{{T}}}FolderChange"):
        ref = change[0]
        folder = box.folders[_folder_of(state, box, ref)]
        key = ref.get("ChangeKey")
        if key is not None and key != folder.change_key:
            raise OperationError(
                "ErrorIrresolvableConflict", "The send or update operation could not be "
                "performed because the change key passed in the request does not match."
            )  # fmt: skip
        for update in change.iter(f"{{{T}}}SetFolderField"):
            uri = update.find(f"{{{T}}}FieldURI")
            if uri is None or uri.get("FieldURI") != "folder:PermissionSet":
                raise OperationError("ErrorInvalidPropertySet", "only folder:PermissionSet")
            acl, echoed = permissions.parse_acl(update[-1], folder.is_calendar)
            _set_acl(state, folder, acl, echoed)
        tag = "CalendarFolder" if folder.is_calendar else "Folder"
        folder_id = f'<t:FolderId Id="{folder.folder_id}" ChangeKey="{folder.change_key}"/>'
        answers.append(f"<t:{tag}>{folder_id}</t:{tag}>")
    return soap.success("UpdateFolder", f"<m:Folders>{''.join(answers)}</m:Folders>")


def _set_acl(
    state: SimulatorState, folder: Folder, acl: list[Permission], echoed: list[str]
) -> None:
    """Replace the folder's ACL; its unknown entries go, unless kept (state.py says when)."""
    unknown = [p.user for p in acl if not p.distinguished and state.mailbox(p.user) is None]
    if unknown:
        raise OperationError("ErrorInvalidUserInfo", f"no such user: {unknown[0]!r}")
    users = [(p.distinguished, p.user) for p in acl]
    if len(set(users)) != len(users):
        raise OperationError("ErrorDuplicateUserIdsSpecified", "a user is named twice")
    folder.permissions = acl
    kept = set(echoed) if state.keep_echoed_unknown_entries else set()
    folder.unknown = [entry for entry in folder.unknown if entry.sid in kept]
    folder.change += 1


HANDLERS: dict[str, Handler] = {
    "GetUserOofSettings": get_oof,
    "SetUserOofSettings": set_oof,
    "GetInboxRules": get_rules,
    "UpdateInboxRules": update_rules,
    "GetDelegate": get_delegates,
    "GetFolder": get_folder,
    "UpdateFolder": update_folder,
}


def named_mailbox(operation: str, request: ET.Element) -> str | None:
    """The mailbox a request names in its body (used when it does not impersonate)."""
    for path in (f"{{{T}}}Mailbox/{{{T}}}Address", f"{{{M}}}Mailbox/{{{T}}}EmailAddress",
                 f"{{{M}}}MailboxSmtpAddress"):  # fmt: skip
        found = request.find(path)
        if found is not None and found.text:
            return found.text.strip().lower()
    for found in request.iter(f"{{{T}}}DistinguishedFolderId"):
        address = found.find(f"{{{T}}}Mailbox/{{{T}}}EmailAddress")
        if address is not None and address.text:
            return address.text.strip().lower()
    return None
