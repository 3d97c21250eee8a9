"""A real service process: kill -9 mid-run, and a canary secret searched for everywhere."""

from __future__ import annotations

import base64
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV
from tests.plugins.lab import LabHandle
from tests.plugins.server import Server

CANARY = "Canary-9d41c7e2-Never-Leak"


def _run_processes(run_id: str) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_MARKER_ENV) == run_id:
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def test_kill_9_mid_run_leaves_the_run_interrupted_after_restart(server: Server) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-900",
        "action": "service_restart",
        "params": {"host": "lab-host", "unit": "fixline-lab-web"},
    }
    run = server.client.post("/runs", json=body).json()
    server.wait_for(run["id"], {"running"}, timeout=30)
    time.sleep(0.3)
    server.kill9()
    server.start()
    ended = server.client.get(f"/runs/{run['id']}").json()
    assert ended["status"] == "interrupted", ended
    assert "not re-run" in ended["error"]
    running = server.client.get("/runs", params={"status": "running"}).json()["items"]
    assert running == []
    assert _run_processes(run["id"]) == [], "processes of the interrupted run were left"
    # The target is free again: a new run on it goes through.
    again = server.client.post("/runs", json={**body, "ticket_id": "INC-901"}).json()
    assert server.wait_for(again["id"], {"succeeded", "failed"})["status"] == "succeeded"


def _statuses(data_dir: Path) -> dict[str, str]:
    """Every run's status as the store holds it (read while no service runs)."""
    with closing(sqlite3.connect(data_dir / "fixline.db")) as db:
        return dict(db.execute("SELECT id, status FROM runs"))


def _audited(server: Server, run_id: str) -> list[str]:
    page = server.client.get("/audit/records", params={"run_id": run_id, "limit": 500})
    return [record["type"] for record in page.json()["items"]]


def test_kill_9_with_runs_queued_starts_each_queued_run_once_after_restart(
    tmp_path: Path, lab: LabHandle
) -> None:
    """One worker busy with a slow run, the others queued behind it, then kill -9: after the
    restart the running one is interrupted and each queued one runs, exactly once."""
    server = Server(
        data_dir=tmp_path / "data",
        lab=lab,
        log_path=tmp_path / "service.log",
        extra_env={
            "FIXLINE_WORKERS": "1",
            "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "0",
            "FIXLINE_RATE_LIMIT_REQUESTER_PER_HOUR": "0",
        },
    )
    server.start()
    try:
        slow = server.client.post(
            "/runs",
            json={
                "customer": "lab",
                "ticket_id": "INC-960",
                "action": "service_restart",
                "params": {"host": "lab-host", "unit": "fixline-lab-web"},
            },
        ).json()
        server.wait_for(slow["id"], {"running"}, timeout=30)
        queued = [
            server.client.post(
                "/runs",
                json={
                    "customer": "lab",
                    "ticket_id": f"INC-96{n}",
                    "action": "smoke_check",
                    "params": {"host": "lab-host", "secret": CANARY},
                },
            ).json()["id"]
            for n in range(1, 5)
        ]
        server.kill9()
        at_kill = _statuses(server.data_dir)
        assert at_kill[slow["id"]] == "running"
        assert [at_kill[run_id] for run_id in queued] == ["queued"] * len(queued)

        # The restarted service may run the taken-over runs side by side: it is the same
        # takeover, and the test does not wait for four playbooks one after the other.
        server.extra_env["FIXLINE_WORKERS"] = "4"
        server.start()
        for run_id in queued:
            ended = server.wait_for(run_id, {"succeeded", "failed", "interrupted"})
            assert ended["status"] == "succeeded", ended
            assert _audited(server, run_id) == [
                "run.requested",
                "run.taken_over",
                "run.running",
                "run.succeeded",
            ]
        interrupted = server.client.get(f"/runs/{slow['id']}").json()
        assert interrupted["status"] == "interrupted", interrupted
        assert server.client.get("/audit/verify").json()["ok"] is True
    finally:
        server.stop()
        server.client.close()
    with closing(sqlite3.connect(server.data_dir / "fixline.db")) as db:
        left = db.execute("SELECT count(*) FROM runs WHERE sealed_job IS NOT NULL").fetchone()
    assert left == (0,), "a sealed job outlived its run's start"
    assert _hits(tmp_path) == []


def _forms(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(raw).rstrip(b"=")]


def _hits(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {form!r}" for form in _forms(CANARY) if form in data]
    return found


def test_canary_secret_never_lands_anywhere(server: Server, tmp_path: Path) -> None:
    client = server.client
    responses = []
    ok = client.post(
        "/runs",
        json={
            "customer": "lab",
            "ticket_id": "INC-950",
            "action": "smoke_check",
            "params": {"host": "lab-host", "secret": CANARY},
        },
    )
    responses.append(ok.text)
    done = server.wait_for(ok.json()["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    assert done["params"]["secret"] == "********"
    # Cancel path: the secret is in flight when the run is stopped.
    canceled = client.post(
        "/runs",
        json={
            "customer": "lab",
            "ticket_id": "INC-951",
            "action": "smoke_check",
            "params": {"host": "lab-host", "secret": CANARY},
        },
    )
    responses.append(canceled.text)
    server.wait_for(canceled.json()["id"], {"running", "succeeded"})
    responses.append(client.post(f"/runs/{canceled.json()['id']}/cancel").text)
    server.wait_for(canceled.json()["id"], {"canceled", "succeeded", "failed"})
    # Invalid input: a secret typed into the wrong field is not echoed back.
    wrong = client.post(
        "/runs",
        json={
            "customer": "lab",
            "ticket_id": "INC-952",
            "action": "smoke_check",
            "params": {"host": CANARY, "secret": CANARY},
        },
    )
    assert wrong.status_code == 422
    responses.append(wrong.text)
    for run_id in (ok.json()["id"], canceled.json()["id"]):
        responses.append(client.get(f"/runs/{run_id}").text)
        responses.append(client.get(f"/runs/{run_id}/events", params={"stream": False}).text)
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            responses.append("".join(stream.iter_text()))
    responses.append(client.get("/runs").text)
    responses.append(client.get("/metrics").text)
    server.stop()
    assert not [r for r in responses if CANARY in r]
    assert _hits(server.data_dir) == []
    assert _hits(tmp_path) == []  # service log included
    leftovers = list((server.data_dir / "work").iterdir())
    assert leftovers == [], f"per-run folders left behind: {leftovers}"
