"""One-time reveals on SQLite and PostgreSQL: once, only to the requester, then gone."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.reveals.models import Reveal
from runner_api.reveals.service import (
    RevealGoneError,
    RevealNotFoundError,
    RevealService,
    RevealState,
)
from runner_api.runs.store import RunStore
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from tests.runs.factories import make_run

SECRET = "Temp-Pw-4f9c2a71e0"


@pytest.fixture
def service(database: Database) -> RevealService:
    return RevealService(database, SecretBox(secrets.token_bytes(32)), ttl_s=300)


def _dump(database: Database) -> str:
    with database.session() as session:
        rows = session.execute(text("SELECT * FROM reveals")).all()
    return repr(rows)


def test_shown_once_to_its_requester_then_gone(database: Database, service: RevealService) -> None:
    run = RunStore(database).insert(make_run(1, requested_by="alice", requester_id="test:alice"))
    reveal_id = service.create(run.id, "alice", "test:alice", SECRET)
    assert SECRET not in _dump(database), "stored in clear"
    assert service.state(reveal_id, "test:alice") is RevealState.READY
    with pytest.raises(RevealNotFoundError):
        service.state(reveal_id, "test:mallory")
    with pytest.raises(RevealNotFoundError):
        service.consume(reveal_id, "mallory", "test:mallory")
    # Another caller of the same name is another caller: the id decides.
    with pytest.raises(RevealNotFoundError):
        service.consume(reveal_id, "alice", "test:another-alice")
    assert service.consume(reveal_id, "alice", "test:alice") == SECRET
    with pytest.raises(RevealGoneError):
        service.consume(reveal_id, "alice", "test:alice")
    assert service.state(reveal_id, "test:alice") is RevealState.SHOWN
    assert service.find_for_run(run.id)[0].sealed is None
    with pytest.raises(RevealNotFoundError):
        service.consume("no-such-id", "alice", "test:alice")
    with pytest.raises(RevealNotFoundError):
        service.state("no-such-id", "test:alice")


def test_expired_reveals_are_refused_and_wiped(database: Database, service: RevealService) -> None:
    run = RunStore(database).insert(make_run(2, requested_by="alice", requester_id="test:alice"))
    reveal_id = service.create(run.id, "alice", "test:alice", SECRET)
    with database.session() as session:
        session.execute(update(Reveal).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert service.state(reveal_id, "test:alice") is RevealState.EXPIRED
    with pytest.raises(RevealGoneError):
        service.consume(reveal_id, "alice", "test:alice")
    assert service.wipe_expired() == 1
    assert service.find_for_run(run.id)[0].sealed is None


def test_sealed_secret_is_bound_to_key_and_row() -> None:
    box = SecretBox(secrets.token_bytes(32))
    sealed = box.seal(SECRET, "reveal:a")
    assert box.open(sealed, "reveal:a") == SECRET
    with pytest.raises(ConfigurationError):
        box.open(sealed, "reveal:b")
    with pytest.raises(ConfigurationError):
        SecretBox(secrets.token_bytes(32)).open(sealed, "reveal:a")
