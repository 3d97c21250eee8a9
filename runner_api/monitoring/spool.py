"""The event handler's spool: no Nagios event is lost while Fixline cannot take it.

Nagios calls an event handler once per state change and never again for the same state,
so an event Fixline missed would not come back. `fixline nagios-event` therefore puts each
event here first and then delivers what waits, oldest first; an event that got an answer
(accepted or refused) leaves the spool, one that met no Fixline stays. Only the newest
event of a (host, service) is worth sending: a CRITICAL followed by an OK means nothing to
repair any more, so older ones are dropped unsent. `fixline nagios-spool`, a Nagios check,
delivers what waits when no new event comes (WARNING while anything waits).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runner_api.webhooks.sender import deliver
from runner_api.webhooks.sources import NAGIOS


@dataclass(frozen=True)
class Spooled:
    """One waiting event: its file, body and the Idempotency-Key it keeps on every try."""

    path: Path
    payload: dict[str, Any]
    key: str

    @property
    def service(self) -> tuple[str, str]:
        return (str(self.payload.get("host")), str(self.payload.get("service")))


@dataclass(frozen=True)
class Flushed:
    """What one delivery round did: the answers it got, what still waits and why."""

    answers: dict[str, httpx.Response]
    waiting: int
    error: str | None


class EventSpool:
    """A folder of JSON files, one per event, named so that they sort by arrival."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, payload: dict[str, Any]) -> str:
        """Keep an event (0600, written whole) and return its Idempotency-Key."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = f"nagios-{uuid.uuid4()}"
        path = self.folder / f"{time.time_ns():020d}-{key}.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"key": key, "payload": payload}, out)
        tmp.replace(path)
        return key

    def waiting(self) -> list[Spooled]:
        """The events still to send, oldest first (unreadable files are left for a person)."""
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text())
                found.append(Spooled(path, dict(data["payload"]), str(data["key"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def flush(self, client: httpx.Client, secret: str) -> Flushed:
        """Deliver the newest event of each service, drop the older ones; stop at the first
        that meets no Fixline (it and the later ones stay)."""
        events = self.waiting()
        newest = {event.service: event for event in events}
        answers: dict[str, httpx.Response] = {}
        for event in events:
            if newest[event.service] is not event:
                event.path.unlink(missing_ok=True)  # superseded by a later state
                continue
            try:
                answer = deliver(client, NAGIOS, secret, event.payload, event.key)
            except httpx.HTTPError as exc:
                return Flushed(answers, len(self.waiting()), f"{type(exc).__name__}: {exc}")
            if answer.status_code == 429 or answer.status_code >= 500:
                # Not a verdict on the event: Fixline may take it on a later try.
                error = f"Fixline answered {answer.status_code}"
                return Flushed(answers, len(self.waiting()), error)
            answers[event.key] = answer
            event.path.unlink(missing_ok=True)
        return Flushed(answers, 0, None)
