"""How a mail route reaches a mailbox, in the order Exchange Online answers through Graph.

1. the app lacks every permission the route takes: 403 ErrorAccessDenied (Exchange's code,
   not the directory's Authorization_RequestDenied)
2. no such user (or not replicated yet): 404 ErrorInvalidUser
3. a user without an Exchange Online mailbox (no licence, on-premises): 404
   MailboxNotEnabledForRESTAPI
Application permissions per route, least privileged first, as Microsoft's pages list them.
"""

from __future__ import annotations

from lab.graph.call import Call
from lab.graph.errors import INVALID_USER, NO_MAILBOX, GraphError, exchange_denied
from lab.graph.mailboxes import Mailbox
from lab.graph.state import User, visible

SETTINGS_READ = ("MailboxSettings.Read", "MailboxSettings.ReadWrite")
SETTINGS_WRITE = ("MailboxSettings.ReadWrite",)
# messageRules: read with MailboxSettings.Read, change with MailboxSettings.ReadWrite.
RULES_READ = SETTINGS_READ
RULES_WRITE = SETTINGS_WRITE
CALENDAR_READ = ("Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite")
CALENDAR_WRITE = ("Calendars.ReadWrite",)
FOLDER_READ = ("Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite")


def mailbox_of(call: Call, permissions: tuple[str, ...]) -> tuple[User, Mailbox]:
    """The user named by the path's first segment and their mailbox, or Exchange's refusal."""
    if not call.may(*permissions):
        raise exchange_denied()
    key = call.args[0]
    user = call.tenant.find_user(key)
    if user is None or not visible(user):
        raise GraphError(404, "ErrorInvalidUser", INVALID_USER.format(key))
    if user.mailbox is None:
        raise GraphError(404, "MailboxNotEnabledForRESTAPI", NO_MAILBOX)
    return user, user.mailbox


def owner_context(call: Call, user: User, tail: str) -> str:
    """The @odata.context of an answer about a user's mailbox: users('<id>')/<tail>."""
    return call.context(f"users('{user.id}')/{tail}")
