"""The hand-over of a file secret (a VPN profile): downloaded once and never shown; and its
window, which starts when the requester is told, not when the run ends. The clock is the
service's own `utcnow`, moved by the test: nothing waits."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from runner_api.database import Database
from runner_api.reveals import service as reveals_module
from runner_api.reveals.service import (
    RevealGoneError,
    RevealKindError,
    RevealService,
    RevealState,
)
from runner_api.runs.store import RunStore
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from tests.runs.factories import make_run

PROFILE = "client\ndev tun\n<key>\nCanary-Key-3be1f0\n</key>\n"
TTL_S, WAIT_S = 300, 28800
ME = "test:alice"
HELD = {"approval": {"reasons": [{"rule": "vpn_grant", "message": "approval"}]}}


@pytest.fixture
def service(database: Database) -> RevealService:
    return RevealService(database, SecretBox(secrets.token_bytes(32)), TTL_S, wait_s=WAIT_S)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], datetime]:
    """Sets the reveals' clock to `start + minutes`; returns the time set."""
    start = utcnow()

    def at(minutes: float) -> datetime:
        now = start + timedelta(minutes=minutes)
        monkeypatch.setattr(reveals_module, "utcnow", lambda: now)
        return now

    at(0)
    return at


def _profile(database: Database, service: RevealService, held: bool) -> str:
    details = HELD if held else {}
    run = RunStore(database).insert(make_run(requested_by="alice", details=details))
    return service.create(run.id, "alice", ME, PROFILE, "ben.carter-lab.ovpn")


def test_a_file_is_downloaded_once_and_never_shown(
    database: Database, service: RevealService
) -> None:
    reveal_id = _profile(database, service, held=False)
    with database.session() as session:
        stored = repr(session.execute(text("SELECT * FROM reveals")).all())
    assert "Canary-Key" not in stored
    # Asked to be shown, a file is refused and nothing is spent.
    with pytest.raises(RevealKindError, match="download it"):
        service.consume(reveal_id, "alice", ME)
    assert service.state(reveal_id, ME) is RevealState.READY
    assert service.download(reveal_id, "alice", ME) == ("ben.carter-lab.ovpn", PROFILE)
    with pytest.raises(RevealGoneError, match="already downloaded once, at "):
        service.download(reveal_id, "alice", ME)
    assert service.state(reveal_id, ME) is RevealState.SHOWN
    # Text is never a download either.
    run = RunStore(database).insert(make_run(1, requested_by="alice"))
    password = service.create(run.id, "alice", ME, "Temp-Pw-1")
    with pytest.raises(RevealKindError):
        service.download(password, "alice", ME)
    assert service.consume(password, "alice", ME) == "Temp-Pw-1"


def test_the_window_of_a_held_run_starts_when_its_requester_is_told(
    database: Database, service: RevealService, clock: Callable[[float], datetime]
) -> None:
    ended = clock(0)  # the approved run ends; its requester is elsewhere
    reveal_id = _profile(database, service, held=True)
    waiting = service.view(reveal_id, ME)
    assert waiting.told_at is None
    assert waiting.expires_at == ended + timedelta(seconds=WAIT_S)
    # 5.5 minutes after the run's end, longer than the window: still there, untold.
    clock(5.5)
    assert service.state(reveal_id, ME) is RevealState.READY
    assert service.wipe_expired() == 0
    told_at = clock(40)  # the requester's page tells them
    told = service.told(reveal_id, "alice", ME)
    assert told.told_at == told_at
    assert told.expires_at == told_at + timedelta(seconds=TTL_S)
    # Told again later (the page opened again), the window does not move.
    clock(42)
    assert service.told(reveal_id, "alice", ME).expires_at == told.expires_at
    clock(40 + TTL_S / 60 + 0.1)
    assert service.state(reveal_id, ME) is RevealState.EXPIRED
    with pytest.raises(RevealGoneError, match=r"expired at .* unread"):
        service.download(reveal_id, "alice", ME)
    assert service.wipe_expired() == 1


def test_a_held_runs_secret_downloaded_in_its_window_and_one_nobody_was_told_of_is_wiped(
    database: Database, service: RevealService, clock: Callable[[float], datetime]
) -> None:
    reveal_id = _profile(database, service, held=True)
    clock(30)
    service.told(reveal_id, "alice", ME)
    clock(34)
    assert service.download(reveal_id, "alice", ME)[1] == PROFILE
    forgotten = _profile(database, service, held=True)
    clock(34 + WAIT_S / 60)  # the longest wait after it was made
    assert service.wipe_expired() == 1
    assert service.state(forgotten, ME) is RevealState.EXPIRED


def test_the_window_of_a_run_its_requester_started_starts_at_its_end(
    database: Database, service: RevealService, clock: Callable[[float], datetime]
) -> None:
    ended = clock(0)
    reveal_id = _profile(database, service, held=False)
    record = service.view(reveal_id, ME)
    assert record.told_at == ended
    assert record.expires_at == ended + timedelta(seconds=TTL_S)
    clock(6)
    # Told after its window, it stays expired: telling never reopens one.
    assert service.told(reveal_id, "alice", ME).expires_at == record.expires_at
    assert service.state(reveal_id, ME) is RevealState.EXPIRED
