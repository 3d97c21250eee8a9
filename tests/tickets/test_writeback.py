"""The write-back outbox: retried with back-off while the target is down, delivered exactly
once when it is up, with a comment built from the outcome (no secret), visible to admins."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runner_api.webhooks.sender import deliver
from runner_api.webhooks.signature import sign_v1
from tests.plugins.server import Server, free_port
from tests.plugins.webhooks import SECRET, no_lab, webhook_env
from tests.webhooks.hooks import started_run


class Receiver:
    """A callback target that records what it gets; started only when the test says so."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                stamp = int(headers["X-Fixline-Timestamp"])
                assert headers["X-Fixline-Signature"] == sign_v1(SECRET, stamp, body)
                received.append((headers, json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver(free_port())
    yield target
    target.stop()


def test_write_back_is_retried_while_down_and_delivered_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    sources = tmp_path / "webhooks.yml"
    sources.write_text(
        "version: 1\nsources:\n  generic:\n    customers: [lab]\n"
        "    ticket_system: callback\n"
        f"    callback_url: http://127.0.0.1:{receiver.port}/tickets\n"
        '    custom_fields: {"Fixline Run": "$status $run_id"}\n'
    )
    env = webhook_env(sources, FIXLINE_TICKET_BACKOFF_S="0.2", FIXLINE_HEARTBEAT_S="0.3")
    server = Server(tmp_path / "data", no_lab(tmp_path), tmp_path / "service.log", extra_env=env)
    server.start()
    try:
        payload = {
            "customer": "lab",
            "ticket_id": "CB-1",
            "action": "account_unlock",
            "params": {"username": "anna"},
        }
        answer = deliver(server.client, "generic", SECRET, payload, "callback-delivery-1")
        assert answer.status_code == 202, answer.text
        run = started_run(server, answer.json()["run_id"], {"failed", "succeeded"})
        update = wait_for_update(server, lambda u: u["attempts"] >= 2)
        assert update["status"] == "pending" and "ConnectError" in update["last_error"]
        receiver.start()
        update = wait_for_update(server, lambda u: u["status"] == "sent")
        time.sleep(1.5)  # a second delivery would come within the next heartbeats
    finally:
        server.stop()
        server.client.close()
    comments = [body for _, body in receiver.received if body["type"] == "comment"]
    assert len(comments) == 1
    updates = [body for _, body in receiver.received if body["type"] == "update"]
    assert [u["fields"] for u in updates] == [{"Fixline Run": f"failed {run['id']}"}]
    assert comments[0]["ticket_id"] == "CB-1"
    assert f"Run: {run['id']}" in comments[0]["text"]
    assert "account_unlock" in comments[0]["text"] and "failed" in comments[0]["text"]
    assert receiver.received[0][0]["Idempotency-Key"] == update["id"]


def wait_for_update(server: Server, done: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        updates = server.client.get("/tickets/updates").json()
        if updates and done(updates[0]):
            return dict(updates[0])
        time.sleep(0.1)
    raise AssertionError(f"the ticket update never got there: {updates}")
