"""schemathesis against the real service's OpenAPI document: no input makes it fail.

Authenticated as admin (every route reachable), at least 5,000 generated requests: 0 answers
in the 5xx range. Unauthenticated: every protected route answers only 401 or 403.

The app is the real one (Core, store, policy, audit) served by uvicorn over loopback in this
process, its outside systems the fast tier's fakes, all up: a 5xx would be Fixline's own.
How the app meets a directory, Exchange or a host that fails is tested against the real ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.schemas import APIOperation

from runner_api.app import create_app
from runner_api.auth.deps import PUBLIC_PATHS
from runner_api.core import Core
from runner_api.settings import Settings
from tests.plugins.fakes import FAST_AUTH
from tests.plugins.server import serving_in_thread

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


@pytest.fixture
def base_url(fast_settings: Settings, fast_core: Core) -> Iterator[str]:
    """The fast tier's app behind uvicorn on a free loopback port, in a thread."""
    with serving_in_thread(create_app(fast_settings, fast_core)) as url:
        yield url


def _fuzz(base_url: str, headers: dict[str, str], examples: int) -> tuple[Counter[str], list[str]]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    sent: Counter[str] = Counter()
    problems: list[str] = []
    for result in schema.get_all_operations():
        _fuzz_operation(result.ok(), base_url, headers, examples, sent, problems)
    return sent, problems


@pytest.mark.slow  # about 5,600 requests
def test_fuzz_authenticated_no_server_errors(base_url: str) -> None:
    sent, problems = _fuzz(base_url, FAST_AUTH, EXAMPLES_PER_OPERATION)
    total = sum(sent.values())
    print(f"schemathesis: {total} requests over {len(sent)} operations, {len(problems)} 5xx")
    assert problems == []
    assert total >= MIN_REQUESTS, sent


@pytest.mark.slow  # fuzzing, 15 requests per operation
def test_fuzz_unauthenticated_only_401_403(base_url: str) -> None:
    sent, problems = _fuzz(base_url, {}, 15)
    assert problems == []
    assert len(sent) > 20
