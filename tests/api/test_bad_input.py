"""Whatever a caller sends, the answer is a clear 4xx in the one error shape, never a 500.

On the fast tier's app (the real API and Core, fakes for the outside systems): what is
checked here is answered before any outside system is asked.
"""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(fast_client: TestClient) -> TestClient:
    return fast_client


ODD_VALUES = [
    "",
    " ",
    "\x00",
    "a" * 10_000,
    "ünïcödé",
    "../../etc/passwd",
    "*)(cn=*",
    None,
    7,
    [],
    {},
    True,
    "' OR 1=1 --",
]


def _assert_clean_error(response: object, allowed: set[int]) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    assert status in allowed, (status, response.text)  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body["error"]) >= {"code", "message", "details"}


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_in_every_field_of_a_run_request(client: TestClient, value: object) -> None:
    base = {
        "customer": "lab",
        "ticket_id": "INC-1",
        "action": "smoke_check",
        "params": {"host": "lab-host"},
    }
    bodies = [
        {**base, field: value}
        for field in ("customer", "ticket_id", "action", "params", "check_mode")
    ]
    bodies += [
        {**base, "params": {"host": "lab-host", param: value}}
        for param in ("host", "secret", "unknown")
    ]
    for body in bodies:
        answer = client.post("/runs", json=body)
        if answer.status_code == 202:  # a value that happens to be valid runs for real
            continue
        _assert_clean_error(answer, {403, 404, 422})


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "100000"},
        {"limit": "x"},
        {"status": "exploded"},
        {"since": "yesterday"},
        {"since": "2026-01-01T00:00:00"},  # no time zone
        {"since": "0001-01-01T00:00:04+19:01"},  # year 0 in UTC (found by the fuzz test)
        {"since": "9999-12-31T23:00:00-19:00"},  # year 10000 in UTC
        {"cursor": "%%%"},
        {"cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode()},
        {"cursor": base64.urlsafe_b64encode(b"not-a-date|id").decode()},
    ],
)
def test_odd_queries_on_the_run_list(client: TestClient, query: dict[str, str]) -> None:
    _assert_clean_error(client.get("/runs", params=query), {422})


def test_odd_paths_and_methods(client: TestClient) -> None:
    for method, path in [
        ("GET", "/runs/%00"),
        ("POST", "/runs/x/cancel"),
        ("GET", "/runs/x/events"),
        ("DELETE", "/runs"),
        ("POST", "/reveals/x"),
        ("GET", "/actions/%2e%2e"),
    ]:
        _assert_clean_error(client.request(method, path), {404, 405})
    _assert_clean_error(
        client.post("/runs", content=b"\xff\xfe", headers={"content-type": "application/json"}),
        {422},
    )
    _assert_clean_error(client.post("/runs", json=[1, 2, 3]), {422})


@pytest.mark.parametrize(
    "moment", ["2026-01-01T00:00:00", "0001-01-01T00:00:04+19:01", "9999-12-31T23:00:00-19:00"]
)
def test_moments_without_zone_or_outside_the_calendar_in_utc(
    client: TestClient, moment: str
) -> None:
    for field in ("since", "until"):
        answer = client.get("/audit/records", params={field: moment})
        _assert_clean_error(answer, {422})
        assert field in answer.text
    answer = client.post("/tokens", json={"name": "t", "role": "auditor", "expires_at": moment})
    _assert_clean_error(answer, {422})
    assert "expires_at" in answer.text
