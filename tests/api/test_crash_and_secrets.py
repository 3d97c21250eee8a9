"""A real service process: kill -9 mid-run, and a canary secret searched for everywhere."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV
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
