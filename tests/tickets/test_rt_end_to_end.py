"""End to end against a real Request Tracker 5: an RT ticket, the signed webhook its scrip
sends, a real service_restart on the lab host, and the outcome as a comment on that ticket
(and the ticket resolved), seen through RT's own REST 2 API."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx

from runner_api.lab.rt import QUEUE, RequestTracker
from runner_api.webhooks.sender import signed_headers
from tests.plugins.lab import LabHandle
from tests.plugins.server import Server
from tests.plugins.webhooks import SECRET, webhook_env

SOURCES = """\
version: 1
sources:
  rt:
    customers: [lab]
    ticket_system: rt
    status_on_success: resolved
    rules:
      - name: restart-lab-web
        match: {queue: General, event: ticket.created}
        contains: {subject: fixline-lab-web}
        customer: lab
        action: service_restart
        params: {host: lab-host, unit: fixline-lab-web}
"""


def test_rt_ticket_gets_the_runs_comment(
    tmp_path: Path, lab: LabHandle, request_tracker: RequestTracker
) -> None:
    rt = httpx.Client(
        base_url=f"{request_tracker.url}/REST/2.0",
        headers={"Authorization": f"token {request_tracker.token}"},
        timeout=30,
    )
    sources = tmp_path / "webhooks.yml"
    sources.write_text(SOURCES)
    env = webhook_env(
        sources,
        FIXLINE_RT_URL=request_tracker.url,
        FIXLINE_RT_TOKEN=request_tracker.token,
        FIXLINE_HEARTBEAT_S="0.5",
    )
    server = Server(tmp_path / "data", lab, tmp_path / "service.log", extra_env=env)
    server.start()
    try:
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
        # The JSON an RT "On Create" scrip sends: canonical, compact, signed over the bytes.
        body = json.dumps(
            {
                "event": "ticket.created",
                "ticket_id": ticket_id,
                "queue": QUEUE,
                "subject": "fixline-lab-web is down",
                "status": "new",
                "requestors": "alice@example.com",
                "transaction_id": ticket_id * 100,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        headers = signed_headers(SECRET, body, f"rt-{ticket_id}-created")
        started = time.monotonic()
        answer = server.client.post("/webhooks/rt", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        assert time.monotonic() - started < 1.0
        run = server.wait_for(answer.json()["run_id"], {"succeeded", "failed"}, timeout=120)
        assert run["status"] == "succeeded", run
        assert run["ticket_id"] == str(ticket_id)
        comment = wait_for_comment(rt, ticket_id)
        ticket = rt.get(f"/ticket/{ticket_id}").json()
    finally:
        server.stop()
        server.client.close()
        rt.close()
    assert "Fixline: service_restart on lab-host succeeded." in comment
    assert f"Run: {run['id']}" in comment
    assert ticket["Status"] == "resolved"


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


def _content(rt: httpx.Client, transaction_id: Any) -> str:
    attachments = rt.get(f"/transaction/{transaction_id}/attachments").json()["items"]
    texts = []
    for item in attachments:
        attachment = rt.get(f"/attachment/{item['id']}").json()
        if attachment.get("Content"):
            texts.append(base64.b64decode(attachment["Content"]).decode("utf-8", "replace"))
    return "\n".join(texts)
