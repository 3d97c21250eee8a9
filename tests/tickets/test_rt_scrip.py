"""The lab RT's webhook scrip signs v2 (timestamp, Idempotency-Key and raw body), also in a
database seeded when the scrip still signed v1: its next start gives the scrip the v2 code."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from lab.rt import QUEUE, SCRIP_CODE, RequestTracker
from runner_api.webhooks.signature import sign_v2
from tests.plugins.server import free_port
from tests.plugins.webhooks import SECRET

V2_LINE = "'v2=' . hmac_sha256_hex(\"v2\\n$ts\\n$key\\n$body\", $to->{secret})"
V1_LINE = "'sha256=' . hmac_sha256_hex(\"$ts.$body\", $to->{secret})"


@pytest.fixture
def received() -> Iterator[tuple[str, queue.Queue[tuple[dict[str, str], bytes]]]]:
    """A URL that keeps what is POSTed to it (headers, raw body), and answers 202."""
    got: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.put((dict(self.headers.items()), body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/webhooks/rt", got
    server.shutdown()
    server.server_close()


def test_a_database_seeded_with_the_v1_scrip_signs_v2_after_a_start(
    request_tracker: RequestTracker,
    received: tuple[str, queue.Queue[tuple[dict[str, str], bytes]]],
) -> None:
    assert V2_LINE in SCRIP_CODE
    # The database as the v1 seed left it: the v1 code, and the marker of that seed.
    request_tracker.replace_scrip_code(SCRIP_CODE.replace(V2_LINE, V1_LINE))
    var = request_tracker.folder / "var"
    (var / "fixline-seed-2").rename(var / "fixline-seed-1")
    request_tracker.stop()
    request_tracker.start()
    assert (var / "fixline-seed-2").exists() and not (var / "fixline-seed-1").exists()

    url, got = received
    request_tracker.send_webhooks_to(url, SECRET)
    try:
        created = httpx.post(
            f"{request_tracker.url}/REST/2.0/ticket",
            headers={"Authorization": f"token {request_tracker.token}"},
            json={"Queue": QUEUE, "Subject": "scrip check", "Content": "x"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        headers, body = got.get(timeout=30)
    finally:
        request_tracker.send_webhooks_to(None)
    key = headers["Idempotency-Key"]
    assert key.startswith(f"rt-ticket-{created.json()['id']}-")
    stamp = int(headers["X-Fixline-Timestamp"])
    assert headers["X-Fixline-Signature"] == sign_v2(SECRET, stamp, key, body)
