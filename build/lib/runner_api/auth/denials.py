"""Auditing denials without letting a scanner flood the audit log.

Every refusal of a signed-in caller's reach (and every failed authentication) is an audit
record, but at most `per_minute` of them per caller a minute: the next one that minute is
recorded as one `auth.denials_suppressed` summary, the rest are counted, and the count goes
into the caller's next denial record (`suppressed_before`). In memory, per process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from runner_api.audit.errors import AuditUnavailableError
from runner_api.audit.log import AuditLog
from runner_api.audit.sink import AuditEvent

log = logging.getLogger(__name__)

_WINDOW_S = 60.0
# Stop callers that come once (made-up tokens, many addresses) from growing the table.
_MAX_CALLERS = 10_000


@dataclass
class _Minute:
    started: float
    recorded: int = 0
    dropped: int = 0


class DenialAudit:
    """At most `per_minute` denial records per caller a minute, then one summary."""

    def __init__(
        self, audit: AuditLog, per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.audit = audit
        self.per_minute = per_minute
        self.clock = clock
        self._minutes: dict[str, _Minute] = {}
        self._lock = threading.Lock()

    def record(self, caller: str, event: AuditEvent) -> None:
        """Append the event, its summary, or nothing (counted), as the caller's minute allows."""
        with self._lock:
            entry = self._admit(caller, event)
        if entry is None:
            return
        try:
            self.audit.append(entry)
        except AuditUnavailableError:
            # A denial stays a denial whether or not it could be recorded.
            log.exception("could not audit %s of %s", event.type, event.actor)

    def _admit(self, caller: str, event: AuditEvent) -> AuditEvent | None:
        now = self.clock()
        minute = self._minutes.get(caller)
        if minute is None or now - minute.started >= _WINDOW_S:
            if len(self._minutes) >= _MAX_CALLERS:
                self._forget(now)
            if minute is not None and minute.dropped:
                event = replace(event, data=event.data | {"suppressed_before": minute.dropped})
            minute = self._minutes[caller] = _Minute(now)
        if minute.recorded < self.per_minute:
            minute.recorded += 1
            return event
        minute.dropped += 1
        if minute.dropped > 1:
            return None
        return AuditEvent(
            type="auth.denials_suppressed",
            actor=event.actor,
            outcome="denied",
            data={
                "limit": self.per_minute,
                "window_s": int(_WINDOW_S),
                "first": event.type,
                "client": event.data.get("client"),
                "note": "further denials of this caller this minute are counted, not "
                "recorded; the count comes with its next denial record",
            },
        )

    def _forget(self, now: float) -> None:
        for caller, minute in list(self._minutes.items()):
            if now - minute.started >= _WINDOW_S:
                del self._minutes[caller]
        if len(self._minutes) >= _MAX_CALLERS:
            self._minutes.clear()
