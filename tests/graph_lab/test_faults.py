"""Injected failures: throttling, stalls, lost answers, replication delay, denied permissions."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.graph_lab.test_groups import ref
from tests.graph_lab.test_users import GOOD_PASSWORD, error_of
from tests.plugins.graph_lab import GraphLab


@pytest.mark.parametrize(
    ("status", "code"), [(429, "TooManyRequests"), (503, "serviceNotAvailable")]
)
def test_throttle_answers_the_next_calls_with_retry_after(
    graph_lab: GraphLab, status: int, code: str
) -> None:
    graph_lab.simulator.throttle(2, retry_after_s=3, status=status)
    client = graph_lab.client()
    for _ in range(2):
        response = client.get("/users?$top=1")
        error_of(response, status, code)
        assert response.headers["Retry-After"] == "3"
    assert client.get("/users?$top=1").status_code == 200
    graph_calls = [r for r in graph_lab.simulator.requests if r.path.startswith("/v1.0/")]
    assert [r.status for r in graph_calls] == [status, status, 200]


def test_throttling_spares_the_token_endpoint(graph_lab: GraphLab) -> None:
    graph_lab.simulator.throttle(1)
    result = graph_lab.msal().acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result
    assert graph_lab.client().get("/users").status_code == 429


def test_stall_holds_answers_past_a_client_timeout(graph_lab: GraphLab) -> None:
    graph_lab.simulator.stall(2.0, count=1)
    client = graph_lab.client()
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.get("/users?$top=1", timeout=0.3)
    assert time.monotonic() - started < 1.5
    graph_lab.simulator.clear_faults()  # release the held answer
    assert client.get("/users?$top=1").status_code == 200


def test_lost_answer_applies_the_write(graph_lab: GraphLab) -> None:
    graph_lab.simulator.lose_answer()
    client = graph_lab.client()
    alex = graph_lab.user_id("alex.wilber")
    assert client.get(f"/users/{alex}").status_code == 200  # reads keep their answers
    with pytest.raises(httpx.RemoteProtocolError):
        client.patch(f"/users/{alex}", json={"accountEnabled": False})
    assert graph_lab.tenant().users[alex].account_enabled is False
    logged = graph_lab.simulator.requests[-1]
    assert (logged.method, logged.answered) == ("PATCH", False)
    assert client.patch(f"/users/{alex}", json={"accountEnabled": True}).status_code == 204


def test_replication_delay_hides_changed_objects(graph_lab: GraphLab) -> None:
    graph_lab.simulator.replication_delay(0.5)
    client = graph_lab.client()
    alex = graph_lab.user_id("alex.wilber")
    change = {"passwordProfile": {"password": GOOD_PASSWORD}}
    assert client.patch(f"/users/{alex}", json=change).status_code == 204
    error_of(client.get(f"/users/{alex}"), 404, "Request_ResourceNotFound")
    group = graph_lab.group_id("VPN Users")
    response = client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex))
    error_of(response, 404, "Request_ResourceNotFound")
    time.sleep(0.6)
    assert client.get(f"/users/{alex}").status_code == 200
    assert (
        client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex)).status_code == 204
    )


def test_deny_takes_a_permission_away(graph_lab: GraphLab) -> None:
    graph_lab.simulator.deny("User.RevokeSessions.All")
    client = graph_lab.client()
    megan = graph_lab.user_id("megan.bowen")
    error_of(
        client.post(f"/users/{megan}/revokeSignInSessions"), 403, "Authorization_RequestDenied"
    )
    assert client.get(f"/users/{megan}").status_code == 200
    graph_lab.simulator.deny("User.Read.All")
    error_of(client.get("/users"), 403, "Authorization_RequestDenied")
