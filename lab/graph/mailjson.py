"""Exchange Online objects as Graph v1.0 writes them (mailboxSettings, mailFolder, messageRule,
calendarPermission): names and JSON types of the published CSDL, like render.py for the
directory. tests/graph_lab/test_conformance.py checks every answer built here.
"""

from __future__ import annotations

from lab.graph.mailboxes import AutomaticReplies, CalendarPermission, Inbox, Mailbox, MessageRule
from lab.graph.timezones import wire

Json = dict[str, object]
WORK_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


def replies_json(replies: AutomaticReplies) -> Json:
    """automaticRepliesSetting: the window is always there, in UTC, whatever the status."""
    return {
        "status": replies.status,
        "externalAudience": replies.external_audience,
        "scheduledStartDateTime": wire(replies.start),
        "scheduledEndDateTime": wire(replies.end),
        "internalReplyMessage": replies.internal,
        "externalReplyMessage": replies.external,
    }


def settings_json(mailbox: Mailbox) -> Json:
    """Every mailboxSettings property, as GET answers without $select."""
    return {
        "archiveFolder": mailbox.archive_folder,
        "timeZone": mailbox.time_zone,
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "userPurpose": "user",
        "automaticRepliesSetting": replies_json(mailbox.shown_replies()),
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {
            "daysOfWeek": WORK_DAYS,
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": mailbox.time_zone},
        },
    }


def inbox_json(inbox: Inbox) -> Json:
    return {
        "id": inbox.id,
        "displayName": "Inbox",
        "parentFolderId": inbox.parent_id,
        "childFolderCount": inbox.children,
        "unreadItemCount": inbox.unread,
        "totalItemCount": inbox.total,
        "isHidden": False,
    }


def rule_json(rule: MessageRule) -> Json:
    """A messageRule; empty predicates are left out, as Graph leaves them out."""
    body: Json = {
        "id": rule.id,
        "displayName": rule.display_name,
        "sequence": rule.sequence,
        "isEnabled": rule.is_enabled,
        "hasError": rule.has_error,
        "isReadOnly": rule.is_read_only,
    }
    for name, value in (("conditions", rule.conditions), ("actions", rule.actions),
                        ("exceptions", rule.exceptions)):  # fmt: skip
        if value:
            body[name] = value
    return body


def permission_json(permission: CalendarPermission) -> Json:
    address: Json = {"name": permission.name}
    if permission.address is not None:
        address["address"] = permission.address
    return {
        "id": permission.id,
        "isRemovable": permission.removable,
        "isInsideOrganization": permission.inside,
        "role": permission.role,
        "allowedRoles": list(permission.allowed),
        "emailAddress": address,
    }
