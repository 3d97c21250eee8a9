"""The runs API end to end: real ansible-runner over real SSH to the lab host."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.conftest import wait_for_end


def _start(client: TestClient, action: str, ticket: str = "INC-1", **params: str) -> dict:  # type: ignore[type-arg]
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    response = client.post("/runs", json=body)
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def test_actions_carry_schemas_and_mark_secrets(client: TestClient) -> None:
    actions = {a["name"]: a for a in client.get("/actions").json()}
    assert {"smoke_check", "service_restart", "software_install"} <= set(actions)
    smoke = actions["smoke_check"]
    assert smoke["secret_params"] == ["secret"]
    secret_schema = smoke["params_schema"]["properties"]["secret"]
    assert secret_schema["writeOnly"] is True and secret_schema["x-secret"] is True
    assert smoke["timeout_s"] == 900 and smoke["vetted"] is True
    assert client.get("/actions/nope").json()["error"]["code"] == "action_not_found"


def test_smoke_check_runs_over_ssh_and_streams_events(client: TestClient) -> None:
    run = _start(client, "smoke_check", host="lab-host")
    assert run["status"] == "queued" and run["target"] == "lab-host"
    with client.stream("GET", f"/runs/{run['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = "".join(stream.iter_text())
    assert "event: run_event" in body and "event: end" in body
    final = json.loads(body.rsplit("event: end\ndata: ", 1)[1].split("\n", 1)[0])
    assert final["status"] == "succeeded", final
    assert final["versions"]["ansible-core"].startswith("2.19")
    assert final["versions"]["ansible-runner"] == "2.4.3"
    events = client.get(f"/runs/{run['id']}/events", params={"stream": False}).json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert any(e["host"] == "lab-host" for e in events)
    listed = client.get("/runs", params={"ticket_id": "INC-1"}).json()["items"]
    assert [r["id"] for r in listed] == [run["id"]]


def test_service_restart_restarts_the_allowlisted_unit(client: TestClient) -> None:
    run = _start(client, "service_restart", ticket="INC-2", host="lab-host", unit="fixline-lab-web")
    final = wait_for_end(client, run["id"])
    assert final["status"] == "succeeded", final
    assert final["changed"] is True
    assert final["diff"]["before"] != final["diff"]["after"]


def test_not_allowlisted_unit_is_refused_and_recorded(client: TestClient) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-3",
        "action": "service_restart",
        "params": {"host": "lab-host", "unit": "cron"},
    }
    response = client.post("/runs", json=body)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "not_allowlisted" and "allow-list" in error["message"]
    recorded = client.get(f"/runs/{error['details']['run_id']}").json()
    assert recorded["status"] == "refused" and recorded["started_at"] is None


def test_bad_input_gets_field_level_422_and_one_error_shape(client: TestClient) -> None:
    bad_params = client.post(
        "/runs",
        json={
            "customer": "lab",
            "ticket_id": "INC-4",
            "action": "smoke_check",
            "params": {"host": "lab host!", "extra": 1},
        },
    )
    assert bad_params.status_code == 422
    locs = [e["loc"] for e in bad_params.json()["error"]["details"]["errors"]]
    assert ["params", "host"] in locs and ["params", "extra"] in locs
    bad_ticket = client.post(
        "/runs", json={"customer": "lab", "ticket_id": "", "action": "smoke_check"}
    )
    assert bad_ticket.status_code == 422
    assert bad_ticket.json()["error"]["details"]["errors"][0]["loc"] == ["body", "ticket_id"]
    unknown_host = client.post(
        "/runs",
        json={
            "customer": "lab",
            "ticket_id": "I-5",
            "action": "smoke_check",
            "params": {"host": "ghost"},
        },
    )
    assert unknown_host.status_code == 422
    assert client.post("/runs", content=b"{not json").status_code == 422
    for path, code in (("/runs/nope", 404), ("/nowhere", 404)):
        answer = client.get(path)
        assert answer.status_code == code and set(answer.json()["error"]) >= {"code", "message"}
    unknown_customer = client.post(
        "/runs",
        json={
            "customer": "nobody",
            "ticket_id": "I-6",
            "action": "smoke_check",
            "params": {"host": "lab-host"},
        },
    )
    assert unknown_customer.status_code == 404


def test_token_is_required(client: TestClient) -> None:
    answer = client.get("/runs", headers={"Authorization": "Bearer wrong-token-xxxxxxxx"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated"
    assert client.get("/healthz", headers={"Authorization": ""}).json()["status"] == "ok"


def test_cancel_of_an_ended_run_conflicts(client: TestClient) -> None:
    run = _start(client, "smoke_check", ticket="INC-7", host="lab-host")
    wait_for_end(client, run["id"])
    answer = client.post(f"/runs/{run['id']}/cancel")
    assert answer.status_code == 409


def test_metrics_and_openapi(client: TestClient) -> None:
    run = _start(client, "smoke_check", ticket="INC-8", host="lab-host")
    wait_for_end(client, run["id"])
    text = client.get("/metrics").text
    assert 'fixline_runs_finished_total{action="smoke_check",status="succeeded"}' in text
    spec = client.get("/openapi.json").json()
    assert {
        "/runs",
        "/runs/{run_id}",
        "/runs/{run_id}/events",
        "/runs/{run_id}/cancel",
        "/actions",
        "/healthz",
        "/metrics",
    } <= set(spec["paths"])
    assert spec["components"]["schemas"]["RunCreate"]["examples"]
