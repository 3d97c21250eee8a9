"""Oversized bodies are refused with 413 in the one error shape, declared or chunked."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.authz.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b" " * size


def test_a_declared_large_body_gets_413(client: TestClient) -> None:
    answer = client.post("/runs", content=b"{" + b" " * TEN_MB + b"}", headers=AUTH)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_large_body_gets_413(client: TestClient) -> None:
    answer = client.post("/runs", content=_chunks(TEN_MB), headers=AUTH)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_a_chunked_small_body_is_read_whole(client: TestClient) -> None:
    parts = [b'{"customer": "lab", "ticket_id": "INC-1", ', b'"action": "nope", "params": {}}']
    answer = client.post("/runs", content=iter(parts), headers=AUTH)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "action_not_found"
