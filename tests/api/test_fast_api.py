"""The API end to end on the fast tier: playbook runs (FakePlaybooks for ansible-runner),
the audit record of every kind of run and its verified chain, and planted secrets searched
for everywhere. Mirrors tests/api/test_runs_api.py, test_crash_and_secrets.py and
test_canary_sweep.py, which do the same against the lab."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runner_api.runs.status import RunStatus
from runner_api.settings import Settings
from tests.directory.conftest import VERIFIED
from tests.fakes import Script
from tests.plugins.fakes import (
    Fakes,
    audit_types,
    post_run,
    refused_at_start,
    run_fix,
    start,
    wait_for_end,
    wait_until,
)
from tests.secrets.canary import forms


def _events(client: TestClient, run_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(
        f"/runs/{run_id}/events", params={"stream": False}
    ).json()
    return events


def test_service_restart_is_recorded_with_its_events(fast_client: TestClient, fakes: Fakes) -> None:
    run = run_fix(fast_client, "service_restart", "INC-1", host="lab-host", unit="fixline-lab-web")
    assert run["status"] == "succeeded", run
    assert run["changed"] is True and run["diff"]["before"] != run["diff"]["after"]
    assert run["summary"].startswith("Restarted fixline-lab-web on lab-host")
    assert set(run["versions"]) == {"ansible-core", "ansible-runner"}
    events = _events(fast_client, run["id"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["kind"] for e in events] == [
        "play_start", "task_start", "ok", "task_start", "changed", "task_start", "ok",
        "recap", "result",
    ]  # fmt: skip
    assert events[0]["message"] == "Restart an allow-listed service"
    assert {e["host"] for e in events if e["kind"] in ("ok", "changed")} == {"lab-host"}
    (call,) = fakes.playbooks.calls
    assert (call.action, call.host, call.check_mode) == ("service_restart", "lab-host", False)
    assert call.params == {"host": "lab-host", "unit": "fixline-lab-web"}
    preview = run_fix(
        fast_client, "service_restart", "INC-1", check_mode=True, host="lab-host",
        unit="fixline-lab-web",
    )  # fmt: skip
    assert preview["summary"].startswith("Would restart fixline-lab-web")
    assert preview["diff"]["before"] == preview["diff"]["after"]


def test_not_allowlisted_unit_is_refused_and_recorded(
    fast_client: TestClient, fakes: Fakes
) -> None:
    error, recorded = refused_at_start(
        fast_client, "service_restart", "INC-3", host="lab-host", unit="cron"
    )
    assert error["code"] == "not_allowlisted" and "allow-list" in error["message"]
    assert audit_types(fast_client, recorded["id"]) == ["run.refused"]
    unknown = post_run(fast_client, "service_restart", "INC-3", host="ghost", unit="cron")
    assert unknown.status_code == 422
    assert fakes.playbooks.calls == []


def test_a_failing_task_and_an_unreachable_host_end_failed_with_the_reason(
    fast_client: TestClient, fakes: Fakes
) -> None:
    fakes.playbooks.script(
        "software_install",
        Script(fail_task="Run software_install", failure="No package matching 'x' is available"),
    )
    run = run_fix(
        fast_client, "software_install", "INC-5", host="lab-host", package="fixline-lab-hello"
    )
    assert run["status"] == "failed", run
    assert run["error"] == (
        "task 'Run software_install' failed on lab-host: No package matching 'x' is available"
    )
    assert run["details"] == {"runner_status": "failed", "rc": 2, "check_mode": False}
    fakes.playbooks.script("smoke_check", Script(unreachable=True))
    down = run_fix(fast_client, "smoke_check", "INC-6", host="lab-offline")
    assert down["status"] == "failed" and "could not reach the host on lab-offline" in down["error"]
    assert "unreachable" in [e["kind"] for e in _events(fast_client, down["id"])]


@pytest.fixture
def hold() -> Iterator[threading.Event]:
    released = threading.Event()
    yield released
    released.set()


def test_a_running_playbook_is_canceled_on_request(
    fast_client: TestClient, fakes: Fakes, hold: threading.Event
) -> None:
    fakes.playbooks.script("service_restart", Script(hold=hold))
    run = start(fast_client, "service_restart", "INC-7", host="lab-host", unit="fixline-lab-web")
    wait_until(
        lambda: fast_client.get(f"/runs/{run['id']}").json()["status"] == "running",
        what="the run's start",
    )
    assert fast_client.post(f"/runs/{run['id']}/cancel").status_code == 200
    ended = wait_for_end(fast_client, run["id"])
    assert ended["status"] == "canceled", ended
    assert ended["error"] == "canceled on request; the playbook was stopped"
    assert audit_types(fast_client, run["id"])[-2:] == ["run.cancel_requested", "run.canceled"]
    assert fast_client.post(f"/runs/{run['id']}/cancel").status_code == 409


def test_every_kind_of_run_is_audited_and_the_chain_verifies(
    fast_client: TestClient, fakes: Fakes
) -> None:
    fakes.directory.set_down("contoso")
    ended = [
        run_fix(fast_client, "account_unlock", "INC-8", username="chloe.nguyen"),
        run_fix(fast_client, "account_disable", "INC-8", username="adm.nested"),
        run_fix(fast_client, "account_unlock", "INC-8", customer="contoso", username="grace.kim"),
        run_fix(
            fast_client,
            "mailbox_oof_set",
            "INC-8",
            mailbox="emma.larsen@lab.test",
            internal_message="Away.",
        ),
        run_fix(fast_client, "smoke_check", "INC-8", host="lab-host"),
        run_fix(
            fast_client,
            "password_reset",
            "INC-8",
            username="maria.rossi",
            caller_verification=VERIFIED,
        ),
    ]
    statuses = [run["status"] for run in ended]
    assert statuses == [
        "succeeded", "refused", "failed", "succeeded", "succeeded", "awaiting_approval"
    ]  # fmt: skip
    for run in ended:
        types = audit_types(fast_client, run["id"])
        assert types[0] == "run.requested", (run["action"], types)
        if RunStatus(run["status"]).terminal:
            assert types[-1] == f"run.{run['status']}", (run["action"], types)
    verified = fast_client.get("/audit/verify").json()
    assert verified["ok"] is True, verified["problems"]
    assert verified["records"] >= 3 * len(ended) and verified["first_bad_seq"] is None


def _haystacks(settings: Settings, answers: list[str], logs: str) -> dict[str, bytes]:
    data_dir = Path(settings.data_dir)
    found = {
        str(path): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file() and path.name != "secret.key"
    }
    with closing(sqlite3.connect(data_dir / "fixline.db")) as db:
        found["database dump"] = "\n".join(db.iterdump()).encode()
    found["API answers"] = "\n".join(answers).encode()
    found["log"] = logs.encode()
    return found


def test_planted_secrets_are_found_nowhere(
    fast_client: TestClient,
    fakes: Fakes,
    fast_settings: Settings,
    hold: threading.Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    canaries: dict[str, str] = {}
    answers: list[str] = []

    def plant(label: str) -> str:
        canaries[label] = f"Canary-{label}-{secrets.token_hex(8)}"
        return canaries[label]

    def keep(answer: Any) -> Any:  # the TestClient's Response (httpx or httpx2)
        answers.append(f"{answer.status_code} {dict(answer.headers)} {answer.text}")
        return answer

    def smoke(label: str, host: str = "lab-host") -> dict[str, Any]:
        return start(fast_client, "smoke_check", f"INC-{label}", host=host, secret=plant(label))

    ok = wait_for_end(fast_client, smoke("success")["id"])
    assert ok["status"] == "succeeded" and ok["params"]["secret"] == "********"
    assert ok["summary"].endswith("secret arrived intact")
    fakes.playbooks.script("smoke_check", Script(unreachable=True))
    down = wait_for_end(fast_client, smoke("failure", host="lab-offline")["id"])
    assert down["status"] == "failed"
    fakes.playbooks.script("smoke_check", Script(hold=hold))
    canceled = smoke("cancel")
    wait_until(lambda: fast_client.get(f"/runs/{canceled['id']}").json()["status"] == "running")
    keep(fast_client.post(f"/runs/{canceled['id']}/cancel"))
    assert wait_for_end(fast_client, canceled["id"])["status"] == "canceled"
    assert all(call.secret_params == ("secret",) for call in fakes.playbooks.calls)
    assert all("secret" not in call.params for call in fakes.playbooks.calls)
    # A secret typed into the wrong field is not echoed back.
    wrong = plant("wrong-field")
    answer = post_run(fast_client, "smoke_check", "INC-wrong", host=wrong, secret=wrong)
    assert keep(answer).status_code == 422
    # A directory credential written through the API: the run binds with it, and fails.
    good = fakes.directory.service_credential("contoso")
    credential = {"bind_dn": good.bind_dn, "password": plant("credential"), "ca_pem": good.ca_pem}
    assert keep(fast_client.put("/credentials/contoso/directory", json=credential)).is_success
    bound = run_fix(
        fast_client, "account_unlock", "INC-cred", customer="contoso", username="chloe.nguyen"
    )
    assert bound["status"] == "failed" and "invalid credentials" in bound["error"]
    # The temporary password of a reset: its one reveal is the only place it may be.
    reset = run_fix(
        fast_client, "password_reset", "INC-reset", username="henry.moreau",
        caller_verification=VERIFIED,
    )  # fmt: skip
    revealed = fast_client.post(f"/reveals/{reset['details']['reveal_id']}")
    canaries["temporary-password"] = revealed.json()["password"]
    keep(fast_client.post(f"/reveals/{reset['details']['reveal_id']}"))
    run_ids = [ok["id"], down["id"], canceled["id"], bound["id"], reset["id"]]
    for run_id in run_ids:
        keep(fast_client.get(f"/runs/{run_id}"))
        keep(fast_client.get(f"/runs/{run_id}/events", params={"stream": False}))
        with fast_client.stream("GET", f"/runs/{run_id}/events") as stream:
            answers.append("".join(stream.iter_text()))
    for path in ("/runs", "/audit/records"):
        keep(fast_client.get(path, params={"limit": 500}))
    for path in ("/audit/export", "/audit/tickets/INC-reset/evidence", "/credentials/contoso"):
        keep(fast_client.get(path))
    keep(fast_client.get("/metrics"))
    assert len(canaries) == 6 and len(answers) > 20
    hits = [
        f"{label} in {where}"
        for where, data in _haystacks(fast_settings, answers, caplog.text).items()
        for label, value in canaries.items()
        if any(form.encode() in data for form in forms(value))
    ]
    assert hits == [], hits
