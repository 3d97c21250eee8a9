"""schemathesis against the real service's OpenAPI document: no input makes it fail.

Authenticated as admin (every route reachable), at least 5,000 generated requests: 0 answers
in the 5xx range. Unauthenticated: every protected route answers only 401 or 403.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.schemas import APIOperation

from lab.ews.lab import MailboxLab
from runner_api.auth.deps import PUBLIC_PATHS
from tests.plugins.server import TOKEN, Server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Operations without parameters give one request whatever is asked; the others fill the rest.
EXAMPLES_PER_OPERATION = 200
MIN_REQUESTS = 5000


def _fuzz_operation(
    operation: APIOperation,
    base_url: str,
    headers: dict[str, str],
    examples: int,
    sent: Counter[str],
    problems: list[str],
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    protected = operation.path not in PUBLIC_PATHS

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: schemathesis.Case) -> None:
        if label == "POST /runs":
            # Waiting for generated runs to end would only slow the fuzzing down.
            case.query = {**(case.query or {}), "wait": 0}
        if label.endswith("/events"):
            case.query = {**(case.query or {}), "stream": False}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        sent[label] += 1
        if response.status_code >= 500:
            problems.append(f"{label}: {response.status_code} {response.text[:200]}")
        if not headers and protected and response.status_code not in (401, 403):
            problems.append(f"{label} without credentials: {response.status_code}")

    send()


def _fuzz(server: Server, headers: dict[str, str], examples: int) -> tuple[Counter[str], list[str]]:
    base_url = str(server.client.base_url)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent: Counter[str] = Counter()
    problems: list[str] = []
    for result in schema.get_all_operations():
        _fuzz_operation(result.ok(), base_url, headers, examples, sent, problems)
    return sent, problems


def test_fuzz_authenticated_no_server_errors(ews_simulator: MailboxLab, server: Server) -> None:
    # Every outside system is up (the EWS simulator too): a 5xx would be Fixline's own.
    sent, problems = _fuzz(server, AUTH, EXAMPLES_PER_OPERATION)
    total = sum(sent.values())
    print(f"schemathesis: {total} requests over {len(sent)} operations, {len(problems)} 5xx")
    assert problems == []
    assert total >= MIN_REQUESTS, sent


def test_fuzz_unauthenticated_only_401_403(server: Server) -> None:
    sent, problems = _fuzz(server, {}, 15)
    assert problems == []
    assert len(sent) > 20
