"""What each mailbox fix wants: the state now, the state after, in words for summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from runner_api.mailbox.gateway import (
    Audience,
    Folder,
    FolderAcl,
    InboxRule,
    MailboxInfo,
    Oof,
    OofState,
)

State = dict[str, Any]
# The one inbox rule Fixline owns in a mailbox (exchangelib finds new rules by name).
FORWARD_RULE = "fixline-forward"


@dataclass
class Step:
    """Before and after of one fix, and how to say it ("would ..." in check mode)."""

    before: State
    after: State
    what: str
    done: str
    details: State = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _seconds(value: datetime | None) -> str | None:
    # Exchange keeps second precision: compare and show what it will store.
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


def oof_state(oof: Oof) -> State:
    """An Oof as diff data (times only when Scheduled: otherwise Exchange ignores them)."""
    scheduled = oof.state is OofState.SCHEDULED
    return {
        "state": oof.state.value,
        "audience": oof.audience.value,
        "internal_message": oof.internal_message,
        "external_message": oof.external_message,
        "start": _seconds(oof.start) if scheduled else None,
        "end": _seconds(oof.end) if scheduled else None,
    }


def oof_set_step(mailbox: str, now: Oof, wanted: Oof) -> Step:
    after = oof_state(wanted)
    when = f" from {after['start']} to {after['end']}" if after["start"] else ""
    return Step(
        oof_state(now),
        after,
        f"turn on automatic replies of {mailbox}{when}",
        f"automatic replies of {mailbox} on{when}",
    )


def oof_clear_step(mailbox: str, now: Oof) -> Step:
    before = oof_state(now)
    after = {**before, "state": OofState.DISABLED.value, "start": None, "end": None}
    step = Step(before, after, f"turn off automatic replies of {mailbox}", "")
    step.done = (
        f"automatic replies of {mailbox} off"
        if step.changed
        else f"no change: automatic replies of {mailbox} are already off"
    )
    return step


def wanted_oof(
    internal: str, external: str | None, audience: Audience, start: datetime | None,
    end: datetime | None,
) -> Oof:  # fmt: skip
    """The Oof an oof_set asks for: Scheduled with a window, else Enabled."""
    return Oof(
        state=OofState.SCHEDULED if start is not None else OofState.ENABLED,
        audience=audience,
        internal_message=internal,
        external_message=external or internal,
        start=start,
        end=end,
    )


def forwarding_step(mailbox: str, rules: list[InboxRule], forward_to: str | None) -> Step:
    """Fixline's forwarding rule now and after; other forwarding rules are reported."""
    ours = [rule for rule in rules if rule.name == FORWARD_RULE]
    current = ours[0].forward_to[0] if len(ours) == 1 and ours[0].forward_to else None
    if len(ours) > 1 or (ours and (not ours[0].enabled or len(ours[0].forward_to) != 1)):
        current = "(inconsistent: rewritten)"
    others = [
        {
            "rule": rule.name,
            "forward_to": list(rule.forward_to),
            "redirect_to": list(rule.redirect_to),
        }
        for rule in rules
        if rule.name != FORWARD_RULE and (rule.forward_to or rule.redirect_to)
    ]
    if forward_to is None:
        what, done = f"stop forwarding {mailbox}", f"{mailbox} no longer forwarded"
        same = f"no change: {mailbox} has no Fixline forwarding rule"
    else:
        what = f"forward {mailbox} to {forward_to}"
        done, same = f"{mailbox} forwarded to {forward_to}", f"no change: {what} already"
    step = Step({"forward_to": current}, {"forward_to": forward_to}, what, done)
    if not step.changed:
        step.done = same
    if others:
        step.details["other_forwarding_rules"] = others
    return step


def level_of(acl: FolderAcl, user: str) -> str:
    for entry in acl.entries:
        if not entry.distinguished and entry.user == user:
            return entry.level
    return "None"


def permission_step(
    mailbox: str, folder: Folder, user: str, was: str, level: str, unresolved: tuple[str, ...] = ()
) -> Step:
    """`unresolved`: the folder's entries Exchange cannot resolve, shown with the change."""
    before = {"folder": folder.value, "user": user, "level": was}
    after = {"folder": folder.value, "user": user, "level": level}
    if level == "None":
        what, done = f"remove {user}'s permission on the {folder} of {mailbox}", ""
        done = f"{user} no longer has a permission on the {folder} of {mailbox}"
    else:
        what = f"give {user} {level} on the {folder} of {mailbox}"
        done = f"{user} has {level} on the {folder} of {mailbox}"
    step = Step(before, after, what, done)
    if not step.changed:
        step.done = f"no change: {user} already has {was} on the {folder} of {mailbox}"
    if unresolved:
        step.details["unresolved_entries"] = list(unresolved)
    return step


def unresolved_removed(before: FolderAcl, after: FolderAcl) -> list[str]:
    """Unresolved entries gone after a write: Exchange may drop them when an ACL is reset."""
    return [entry for entry in before.unresolved if entry not in after.unresolved]


def info_details(info: MailboxInfo) -> State:
    """MailboxInfo as run details (plain JSON)."""
    return {
        "mailbox": info.mailbox,
        "oof": oof_state(info.oof),
        "rules": [
            {
                "name": r.name,
                "enabled": r.enabled,
                "forward_to": list(r.forward_to),
                "redirect_to": list(r.redirect_to),
            }
            for r in info.rules
        ],
        "permissions": {
            str(folder): [{"user": p.user, "level": p.level} for p in acl.entries]
            for folder, acl in info.permissions.items()
        },
        "unresolved_permissions": {
            str(folder): list(acl.unresolved) for folder, acl in info.permissions.items()
        },
        "delegates": [
            {
                "user": d.user,
                "display_name": d.display_name,
                "calendar": d.calendar,
                "inbox": d.inbox,
            }
            for d in info.delegates
        ],
        "inbox": {"total": info.inbox.total, "unread": info.inbox.unread}
        if info.inbox is not None
        else None,
        "unavailable": list(info.unavailable),
    }
