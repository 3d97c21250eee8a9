"""Mailbox settings and the inbox folder: GET/PATCH /users/{u}/mailboxSettings, GET
/users/{u}/mailFolders/inbox.

PATCH answers 200 with the properties it was sent (each whole, as stored now). It changes
automatic replies and the time zone; the simulator models no other setting (400). Exchange's
rules, as far as Microsoft documents them or Graph has been seen to answer:
  timeZone not a Windows or IANA zone              400 InvalidTimeZone
  dateTimeTimeZone in a zone Exchange does not know 400 TimeZoneNotSupportedException
  dateTimeTimeZone whose dateTime is no date-time   400 ErrorPropertyValidationFailure
  status scheduled with a window that is empty or over (a window left out keeps the stored
  one, as Exchange does: for a mailbox that never scheduled it lies in the past)
                                                    400 ErrorInvalidScheduledOofDuration
Messages are kept as sent; `disabled` keeps them (Exchange turns replies off, not empty).
"""

from __future__ import annotations

import datetime as dt

from lab.graph import bodies
from lab.graph.call import Answer, Call, pick
from lab.graph.errors import (
    INVALID_TIME_ZONE,
    OOF_DURATION,
    PROPERTY_VALIDATION,
    ZONE_NOT_SUPPORTED,
    GraphError,
)
from lab.graph.exchange import FOLDER_READ, SETTINGS_READ, SETTINGS_WRITE, mailbox_of, owner_context
from lab.graph.mailboxes import AutomaticReplies
from lab.graph.mailjson import inbox_json, replies_json, settings_json
from lab.graph.query import Rules, select_only
from lab.graph.schema.model import subset
from lab.graph.state import utcnow
from lab.graph.timezones import to_utc, zone

WRITABLE = frozenset({"automaticRepliesSetting", "timeZone"})


def get_settings(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, SETTINGS_READ)
    rules = Rules("mailboxSettings", frozenset(subset().properties("mailboxSettings")))
    body = pick(settings_json(mailbox), select_only(call.query, rules))
    return Answer(200, {"@odata.context": owner_context(call, user, "mailboxSettings"), **body})


def patch_settings(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, SETTINGS_WRITE)
    changes = bodies.read(call, "mailboxSettings")
    unmodelled = sorted(set(changes) - WRITABLE)
    if unmodelled:
        message = f"Property '{unmodelled[0]}' is not writable in the simulator."
        raise GraphError(400, "BadRequest", message)
    answer: dict[str, object] = {"@odata.context": owner_context(call, user, "mailboxSettings")}
    time_zone = mailbox.time_zone
    if "timeZone" in changes:
        wanted = changes["timeZone"]
        if not isinstance(wanted, str) or zone(wanted) is None:
            raise GraphError(400, "InvalidTimeZone", INVALID_TIME_ZONE)
        time_zone = wanted
    replies = None
    sent = changes.get("automaticRepliesSetting")
    if isinstance(sent, dict):
        replies = _replies(sent, mailbox.replies)
    # Checked whole before anything changes: a refused PATCH leaves the mailbox as it was.
    mailbox.time_zone = time_zone
    if "timeZone" in changes:
        answer["timeZone"] = time_zone
    if replies is not None:
        mailbox.set_replies(replies, call.faults.replication_s)
        answer["automaticRepliesSetting"] = replies_json(replies)
    return Answer(200, answer)


def get_inbox(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, FOLDER_READ)
    context = owner_context(call, user, "mailFolders/$entity")
    return Answer(200, {"@odata.context": context, **inbox_json(mailbox.inbox)})


def _replies(sent: dict[str, object], current: AutomaticReplies) -> AutomaticReplies:
    """The settings after the change, checked as Exchange checks them."""
    status, audience = sent.get("status"), sent.get("externalAudience")
    internal, external = sent.get("internalReplyMessage"), sent.get("externalReplyMessage")
    after = AutomaticReplies(
        status=status if isinstance(status, str) else current.status,
        external_audience=audience if isinstance(audience, str) else current.external_audience,
        start=_moment(sent.get("scheduledStartDateTime")) or current.start,
        end=_moment(sent.get("scheduledEndDateTime")) or current.end,
        internal=current.internal if internal is None else str(internal),
        external=current.external if external is None else str(external),
    )
    if after.status == "scheduled" and not (after.start < after.end and after.end > utcnow()):
        raise GraphError(400, "ErrorInvalidScheduledOofDuration", OOF_DURATION)
    return after


def _moment(sent: object) -> dt.datetime | None:
    """A dateTimeTimeZone (already read against its type) as UTC; None when not sent."""
    if not isinstance(sent, dict):
        return None
    zone_name = sent.get("timeZone")
    if not isinstance(zone_name, str) or zone(zone_name) is None:
        raise GraphError(400, "TimeZoneNotSupportedException",
                         ZONE_NOT_SUPPORTED.format(zone_name or ""))  # fmt: skip
    local = sent.get("dateTime")
    moment = to_utc(local, zone_name) if isinstance(local, str) else None
    if moment is None:
        raise GraphError(400, "ErrorPropertyValidationFailure", PROPERTY_VALIDATION)
    return moment
