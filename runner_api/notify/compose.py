"""The words of a notice, built only from non-secret run fields (never params or details)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from runner_api.notify.models import Audience, Notification
from runner_api.runs.context import Affected
from runner_api.runs.models import Run

# action -> (its name in the mail; what happened, after "account x"; the owner's next step).
_DONE: dict[str, tuple[str, str, str]] = {
    "password_reset": (
        "password reset",
        "had its password reset",
        "The temporary password was handed to the person who asked for the reset; it "
        "must be changed at the next sign-in.",
    ),
    "account_unlock": (
        "account unlock",
        "was unlocked",
        "You can sign in again with your current password.",
    ),
    "group_add": (
        "access grant",
        "was given access to {granted}",
        "The access works from your next sign-in.",
    ),
}
_UNASKED = (
    "If {who} did not ask for this, contact your IT helpdesk at once and quote the ticket "
    "number above: someone may be trying to take over the account. Do not reply to this "
    "mail. The helpdesk will never ask anyone for a password."
)


def subject_of(run: Run, affected: Affected) -> str:
    """e.g. "Account henry.moreau had its password reset (ticket INC-300)"."""
    return f"Account {affected.username} {_what(run.action, affected)} (ticket {run.ticket_id})"


def body_of(run: Run, affected: Affected, audience: Audience, when: datetime) -> str:
    """Plain text: which action, which account, which ticket, when, by whom, what to do."""
    owner = affected.owner.name
    label, _, next_step = _DONE.get(run.action, (run.action.replace("_", " "), "", ""))
    what = f"account {affected.username} {_what(run.action, affected)} by the IT helpdesk."
    if audience is Audience.MANAGER and affected.manager is not None:
        greeting = f"Hello {affected.manager.name},"
        lead = f"You receive this as the manager of {owner}: their {what}"
        next_step, who = "", owner
    else:
        greeting, lead, who = f"Hello {owner},", f"Your {what}", "you"
    paragraphs = [
        greeting,
        fill(f"{lead} {next_step}".strip()),
        "\n".join(
            [
                f"  Action:   {label}" + (f" ({affected.granted})" if affected.granted else ""),
                f"  Account:  {affected.username}",
                f"  Ticket:   {run.ticket_id}",
                f"  When:     {when.strftime('%Y-%m-%d %H:%M')} UTC",
                f"  By:       {run.requested_by} (helpdesk agent)",
            ]
        ),
        fill(_UNASKED.format(who=who)),
        "-- \nFixline, on behalf of your IT helpdesk",
    ]
    return "\n\n".join(paragraphs) + "\n"


def fill(text: str, width: int = 72) -> str:
    """Words wrapped greedily at `width`. textwrap.fill did the same on every run's end at
    ten times the cost (regular expressions for hyphens and sentence ends mails never need)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines)


def _what(action: str, affected: Affected) -> str:
    text = _DONE.get(action, ("", f"was changed ({action.replace('_', ' ')})", ""))[1]
    return text.format(granted=affected.granted or "a group")


def message_of(note: Notification, sender: str) -> EmailMessage:
    """The mail of one row; its Message-ID comes from the row id, so a resend is a duplicate."""
    domain = sender.rsplit("@", 1)[-1] or "fixline"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(note.recipients)
    message["Subject"] = note.subject
    message["Date"] = format_datetime(note.created_at)
    message["Message-ID"] = f"<{note.id}@{domain}>"
    message["X-Fixline-Run"] = note.run_id
    message["X-Fixline-Ticket"] = note.ticket_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(note.body)
    return message
