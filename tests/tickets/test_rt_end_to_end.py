"""End to end against a real Request Tracker 5, wired as the demo wires it: an RT ticket,
the signed webhook RT's own "On Create" scrip sends, a real service_restart on the lab host,
and the outcome as a comment on that ticket (the ticket resolved, its custom field set),
seen through RT's own REST 2 API."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from lab import DemoWiring
from lab.nagios import HOST, SERVICE
from lab.rt import FIELD, QUEUE, RequestTracker
from tests.plugins.lab import LabHandle
from tests.plugins.rt import rest_client, writing_back_to
from tests.plugins.server import FIXLINE, Server
from tests.webhooks.hooks import started_run


def test_rt_ticket_gets_the_runs_comment(
    tmp_path: Path, lab: LabHandle, request_tracker: RequestTracker
) -> None:
    """Wired as `fixline demo` wires it (lab/demo_wiring.py): what the README's newcomer
    does, a ticket in RT, runs the fix and gets its outcome."""
    rt = rest_client(request_tracker)
    wiring = DemoWiring(tmp_path / "wiring", Path(FIXLINE))
    server = Server(tmp_path / "data", lab, tmp_path / "service.log")
    try:
        wired = wiring.up(str(server.client.base_url), request_tracker)
        secrets = {name: [s.get_secret_value()] for name, s in _secrets(wired).items()}
        server.extra_env = writing_back_to(
            request_tracker,
            Path(str(wired["webhook_sources_file"])),
            FIXLINE_WEBHOOK_SECRETS=json.dumps(secrets),
            FIXLINE_NAGIOS_COMMAND_FILE=str(wired["nagios_command_file"]),
        )
        server.start()
        # RT's scrip sends the signed webhook while it creates the ticket.
        created = rt.post(
            "/ticket",
            json={
                "Queue": QUEUE,
                "Subject": "fixline-lab-web is down",
                "Requestor": "alice@example.com",
                "Content": "The intranet page does not load.",
                "ContentType": "text/plain",
            },
        )
        assert created.status_code == 201, created.text
        ticket_id = int(created.json()["id"])
        delivery = delivery_of(server, ticket_id)
        # The source accepts v2 only (the default): RT's scrip signs the key too.
        assert (delivery["source"], delivery["status_code"]) == ("rt", 202), delivery
        assert delivery["scheme"] == "v2"
        run = started_run(server, delivery["run_id"], {"succeeded", "failed"}, timeout=120)
        assert run["status"] == "succeeded", run
        assert run["ticket_id"] == str(ticket_id)
        comment = wait_for_comment(rt, ticket_id)
        ticket = wait_for_field(rt, ticket_id)
        # The demo's Nagios checks the restarted service (the loop itself: test_nagios_loop).
        nagios = wiring.nagios
        deadline = time.monotonic() + 30
        while nagios.service_status(HOST, SERVICE).get("has_been_checked") != "1":
            assert time.monotonic() < deadline, "the demo's Nagios never checked lab-host"
            time.sleep(0.1)
        assert nagios.service_status(HOST, SERVICE)["current_state"] == "0"
    finally:
        wiring.down(request_tracker)
        server.stop()
        server.client.close()
        rt.close()
    assert "Fixline: service_restart on lab-host succeeded." in comment
    assert f"Run: {run['id']}" in comment
    assert ticket["Status"] == "resolved"
    assert field_value(ticket) == f"succeeded {run['id']}"


def _secrets(wired: dict[str, object]) -> dict[str, SecretStr]:
    found = wired["webhook_secrets"]
    assert isinstance(found, dict)
    return {name: secrets[0] for name, secrets in found.items()}


def delivery_of(server: Server, ticket_id: int, timeout: float = 30) -> dict[str, Any]:
    """The delivery RT's scrip sent for the ticket (its key is rt-ticket-<ticket>-<transaction>)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in server.client.get("/webhooks/deliveries").json():
            if item["key"].startswith(f"rt-ticket-{ticket_id}-"):
                return dict(item)
        time.sleep(0.1)
    raise AssertionError(f"RT sent no webhook for ticket {ticket_id}")


def wait_for_comment(rt: httpx.Client, ticket_id: int, timeout: float = 60) -> str:
    """The text of the first comment on the ticket, read back through REST 2."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = rt.get(f"/ticket/{ticket_id}/history", params={"per_page": 100, "fields": "Type"})
        comments = [item for item in history.json()["items"] if item["Type"] == "Comment"]
        if comments:
            return _content(rt, comments[0]["id"])
        time.sleep(0.2)
    raise AssertionError(f"no comment appeared on RT ticket {ticket_id}")


def wait_for_field(rt: httpx.Client, ticket_id: int, timeout: float = 60) -> dict[str, Any]:
    """The ticket, once Fixline's custom field is set on it (after the comment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticket: dict[str, Any] = rt.get(f"/ticket/{ticket_id}").json()
        if field_value(ticket):
            return ticket
        time.sleep(0.2)
    raise AssertionError(f"{FIELD} was never set on RT ticket {ticket_id}")


def field_value(ticket: dict[str, Any]) -> str | None:
    values = [f["values"] for f in ticket.get("CustomFields", []) if f["name"] == FIELD]
    return values[0][0] if values and values[0] else None


def _content(rt: httpx.Client, transaction_id: Any) -> str:
    attachments = rt.get(f"/transaction/{transaction_id}/attachments").json()["items"]
    texts = []
    for item in attachments:
        attachment = rt.get(f"/attachment/{item['id']}").json()
        if attachment.get("Content"):
            texts.append(base64.b64decode(attachment["Content"]).decode("utf-8", "replace"))
    return "\n".join(texts)
