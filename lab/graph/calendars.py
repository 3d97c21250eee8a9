"""Calendar sharing: GET/POST /users/{u}/calendar/calendarPermissions, PATCH/DELETE .../{id}.

Every calendar starts with My Organization (freeBusyRead, not removable). A grant names an
address: a colleague's comes back with their display name and may be given any sharing or
delegate role; an outside address only freeBusyRead, limitedRead or read (`allowedRoles`).
Ids are Exchange's: base64 of "ExchangePublishedUser.<address>". POST answers 201 Created
(Microsoft's page says 200; OData creation, the rule POST and Microsoft's OpenAPI description
say 201). PATCH changes the role only and answers 200 with the entry. Refusals:
  PATCH of another property (allowedRoles, emailAddress, isInsideOrganization, isRemovable)
                                                  400 ErrorInvalidPropertySet (Graph's text)
  an address of the tenant's domain nobody has    404 ErrorInvalidUser
and, with the code Exchange uses for the condition (Graph documents none):
  no address or no role                           400 ErrorInvalidPermissionSettings
  a role not in the entry's allowedRoles          400 ErrorInvalidPermissionSettings
  a second entry for the same address             400 ErrorDuplicateUserIdsSpecified
  DELETE of My Organization                       400 ErrorCannotDeleteObject
  an id the calendar does not have                404 ErrorItemNotFound
"""

from __future__ import annotations

import time

from lab.graph import bodies
from lab.graph.call import Answer, Call
from lab.graph.errors import (
    CANNOT_DELETE,
    DUPLICATE_USER,
    INVALID_USER,
    NOT_IN_STORE,
    PERMISSION_INVALID,
    SET_INVALID,
    GraphError,
)
from lab.graph.exchange import CALENDAR_READ, CALENDAR_WRITE, mailbox_of, owner_context
from lab.graph.mailboxes import CalendarPermission, Mailbox, roles_for, share
from lab.graph.mailjson import permission_json

COLLECTION = "calendar/calendarPermissions"


def list_permissions(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, CALENDAR_READ)
    now = time.monotonic()
    shown = [p for p in mailbox.calendar if p.visible_at <= now]
    # Graph lists the people first and My Organization last.
    shown.sort(key=lambda p: not p.removable)
    return Answer(
        200,
        {
            "@odata.context": owner_context(call, user, COLLECTION),
            "value": [permission_json(p) for p in shown],
        },
    )


def grant(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, CALENDAR_WRITE)
    sent = bodies.read(call, "calendarPermission")
    email, role = sent.get("emailAddress"), sent.get("role")
    address = email.get("address") if isinstance(email, dict) else None
    if not isinstance(address, str) or "@" not in address or not isinstance(role, str):
        raise GraphError(400, "ErrorInvalidPermissionSettings", PERMISSION_INVALID)
    colleague = call.tenant.find_by_address(address)
    domain = address.rsplit("@", 1)[1].lower()
    if colleague is None and domain == call.tenant.domain.lower():
        raise GraphError(404, "ErrorInvalidUser", INVALID_USER.format(address))
    if colleague is not None:
        address = colleague.mail or colleague.user_principal_name
        name = colleague.display_name
    else:
        sent_name = email.get("name") if isinstance(email, dict) else None
        name = sent_name if isinstance(sent_name, str) and sent_name else address
    if any((p.address or "").lower() == address.lower() for p in mailbox.calendar):
        raise GraphError(400, "ErrorDuplicateUserIdsSpecified", DUPLICATE_USER)
    inside = colleague is not None
    _allowed(roles_for(inside), role)
    entry = share(mailbox, name, address, role, inside)
    entry.visible_at = time.monotonic() + call.faults.replication_s
    context = owner_context(call, user, f"{COLLECTION}/$entity")
    return Answer(201, {"@odata.context": context, **permission_json(entry)})


def update(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, CALENDAR_WRITE)
    entry = _entry(mailbox, call.args[1])
    sent = bodies.read(call, "calendarPermission")
    if set(sent) - {"role"}:
        raise GraphError(400, "ErrorInvalidPropertySet", SET_INVALID)
    role = sent.get("role")
    if role is not None:
        assert isinstance(role, str)
        _allowed(entry.allowed, role)
        entry.role = role
    context = owner_context(call, user, f"{COLLECTION}/$entity")
    return Answer(200, {"@odata.context": context, **permission_json(entry)})


def revoke(call: Call) -> Answer:
    _, mailbox = mailbox_of(call, CALENDAR_WRITE)
    entry = _entry(mailbox, call.args[1])
    if not entry.removable:
        raise GraphError(400, "ErrorCannotDeleteObject", CANNOT_DELETE)
    mailbox.calendar.remove(entry)
    return Answer(204)


def _entry(mailbox: Mailbox, permission: str) -> CalendarPermission:
    now = time.monotonic()
    found = next((p for p in mailbox.calendar if p.id == permission and p.visible_at <= now), None)
    if found is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_IN_STORE)
    return found


def _allowed(allowed: tuple[str, ...], role: str) -> None:
    if role not in allowed:
        raise GraphError(400, "ErrorInvalidPermissionSettings", PERMISSION_INVALID)
