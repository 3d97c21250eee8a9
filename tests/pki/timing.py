"""Printing where a run's time went, for the closing note's end-to-end figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient


def print_timeline(client: TestClient, ended: dict[str, Any]) -> None:
    """Where the time of a run went: each event's offset from the run's start."""
    events = client.get(f"/runs/{ended['id']}/events", params={"stream": False}).json()
    start = datetime.fromisoformat(ended["started_at"])
    for event in events if isinstance(events, list) else events.get("events", []):
        offset = (datetime.fromisoformat(event["created_at"]) - start).total_seconds()
        print(f"  +{offset:6.2f} s {event['kind']:<10} {event.get('task') or ''}")
