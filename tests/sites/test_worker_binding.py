"""A site worker names itself `<its token's id>/<process>`: a token cannot report for, keep
alive or interrupt the runs of another token's worker. Without the lab or a broker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from runner_api.app import create_app
from runner_api.auth.principal import Role
from runner_api.auth.tokens import token_id
from runner_api.core import Core
from runner_api.runs.recovery import _owner_alive, worker_identity
from runner_api.runs.status import RunStatus
from tests.authz.conftest import by, lab_free_settings
from tests.runs.factories import make_run


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core(lab_free_settings(tmp_path))


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core), base_url="https://testserver") as client:
        yield client


def _worker_token(core: Core, name: str) -> str:
    return core.tokens.create(
        name=name, role=Role.WORKER, customers=["lab"], actions=None, created_by=by("test")
    ).secret


def test_a_token_cannot_name_another_tokens_worker(client: TestClient, core: Core) -> None:
    token_a, token_b = _worker_token(core, "site-a"), _worker_token(core, "site-b")
    worker_b = f"{token_id(token_b)}/{worker_identity()}"
    run = core.store.insert(
        make_run(
            1,
            customer="lab",
            status=RunStatus.RUNNING.value,
            worker=worker_b,
            started_at=make_run().created_at,
        )
    )
    as_a = {"Authorization": f"Bearer {token_a}"}

    beat = client.post(
        "/worker/heartbeat", json={"worker": worker_b, "site": "local"}, headers=as_a
    )
    events = client.post(
        f"/worker/runs/{run.id}/events", json={"worker": worker_b, "events": []}, headers=as_a
    )
    finish = client.post(
        f"/worker/runs/{run.id}/finish",
        json={"worker": worker_b, "outcome": {"status": "failed"}},
        headers=as_a,
    )

    assert (beat.status_code, events.status_code, finish.status_code) == (403, 403, 403)
    assert core.store.get(run.id).status == RunStatus.RUNNING.value
    with core.db.session() as session:
        reasons = [
            json.loads(data)["reason"]
            for (data,) in session.execute(
                text("SELECT data FROM audit_records WHERE type = 'auth.denied'")
            )
        ]
    assert reasons == ["worker_id"] * 3
    # Its own name works.
    own = {"worker": f"{token_id(token_a)}/{worker_identity()}", "site": "local"}
    assert client.post("/worker/heartbeat", json=own, headers=as_a).status_code == 200


def test_a_worker_id_still_tells_this_hosts_live_processes() -> None:
    me = worker_identity()
    assert _owner_alive(f"0123456789ab/{me}") is True
    host, _, started = me.rsplit(":", 2)
    assert _owner_alive(f"0123456789ab/{host}:999999999:{started}") is False
