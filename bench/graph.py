"""Entra ID fixes through Fixline vs the same Graph calls made directly, interleaved, against
the lab's Graph simulator (lab/graph, not Microsoft Graph).

Fixline: `POST /runs?wait=30` to a real `fixline serve` whose customer `fabrikam` has an
`entra:` section pointing at the simulator and its app credential imported from a
credentials folder (validate, record, queue, the target's reads and guardrails through
HttpGraph and msal, the write, outcome, reveal for resets) until the run is terminal.
Floor ("same calls"): the Graph calls Fixline makes for the fix, made in turn with httpx on
a kept-alive, verified-TLS client holding a token msal fetched once before timing (cached):
GET /users/{upn} and GET /users/{id}/transitiveMemberOf (the guardrails' reads, with the
gateway's $select), then the write: PATCH /users/{id} (passwordProfile) for password_reset,
POST /users/{id}/revokeSignInSessions for session_revoke. Target: Fixline p50 <= 1.5 x
same calls + 10 ms. For context, the write alone is timed too ("write only", the strictest
floor: what an unguarded script would send).

The simulator runs in this process on loopback and answers both sides within a fraction of
a millisecond; `--latency-ms` holds every answer that long, as a network to Microsoft would
(each side waits the same). Afterwards the runs' own `graph` events tell how much of a
Fixline run was spent in Graph calls.

    .venv/bin/python bench/graph.py [--runs 30] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import msal
import requests
import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.figures import percentile  # noqa: E402
from bench.served import served  # noqa: E402
from lab.graph import AppCredential, GraphSimulator, seed  # noqa: E402
from runner_api.directory import temporary_password  # noqa: E402
from runner_api.graph.transport import ssl_context  # noqa: E402
from runner_api.graph.values import GROUP_FIELDS, USER_FIELDS  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402

CUSTOMER = "fabrikam"
# An ordinary cloud-only user of the seed (lab/graph/seed.py): in Sales Team only, no
# directory role, no role-assignable group, not a VIP here; so neither fix is refused.
TARGET = "alex.wilber"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
ACTIONS = ("password_reset", "session_revoke")
FIXLINE, SAME_CALLS, WRITE_ONLY = "Fixline", "same calls", "write only"
EXTRA = {"password_reset": {"caller_verification": {"method": "callback", "note": "bench"}}}
WARM_UP = 3


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="runs per method and action")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="hold every simulator answer this long"
    )
    args = parser.parse_args()
    with fabrikam_served("graph", args.latency_ms) as (simulator, client, direct, domain):
        _compare(args, client, direct, simulator, f"{TARGET}@{domain}")


@dataclass(frozen=True)
class Served:
    """The simulator, a client of the served Fixline, a direct Graph client, the domain."""

    simulator: GraphSimulator
    client: httpx.Client
    direct: httpx.Client
    domain: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.simulator, self.client, self.direct, self.domain))


@contextmanager
def fabrikam_served(name: str, latency_ms: float = 0.0, **sections: Any) -> Iterator[Served]:
    """The Graph simulator in this process, seeded, and a `fixline serve` whose one customer
    is its fabrikam (more of its fixline.yml in `sections`), with the app's credential; and
    a direct client of the simulator's Graph with a cached token. Removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=f"fixline-bench-{name}-"))
    simulator = GraphSimulator(scratch / "graph").start()
    try:
        app = seed(simulator)[CUSTOMER]
        if latency_ms > 0:
            simulator.stall(latency_ms / 1000)
        domain = simulator.state.tenants[app.tenant_id.lower()].domain
        project = project_folder(scratch / "project", simulator, app, domain, **sections)
        FileCredentialSource(scratch / "credentials").store_graph_credential(
            CUSTOMER, app.graph_credential(simulator.ca_pem)
        )
        with (
            direct_client(simulator, app) as direct,
            served(
                scratch / "data", scratch / "credentials", timeout_s=60, project_dir=project
            ) as client,
        ):
            yield Served(simulator, client, direct, domain)
    finally:
        simulator.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def project_folder(
    root: Path,
    simulator: GraphSimulator,
    app: AppCredential,
    domain: str,
    **sections: Any,
) -> Path:
    """A throwaway project folder: the checkout's vetted playbooks, roles and pins, and one
    cloud-only customer whose tenant is the simulator's fabrikam (more of its fixline.yml in
    `sections`)."""
    root.mkdir(parents=True)
    for folder in ("playbooks", "roles"):
        shutil.copytree(PROJECT / folder, root / folder, symlinks=True)
    shutil.copy2(PROJECT / "vetting.lock.json", root / "vetting.lock.json")
    customer = root / "inventories" / CUSTOMER
    customer.mkdir(parents=True)
    config = {
        "display_name": "Fabrikam (Graph simulator)",
        "site": "local",
        "identity": "entra",
        "entra": {
            "tenant_id": app.tenant_id,
            "accepted_domains": [domain],
            "authority_host": simulator.url,
            "graph_url": simulator.graph_url,
        },
        **sections,
    }
    (customer / "fixline.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (customer / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {}}}))
    return root


@contextmanager
def direct_client(simulator: GraphSimulator, app: AppCredential) -> Iterator[httpx.Client]:
    """httpx on the simulator's Graph root, trusting what the gateway trusts, with a token
    msal fetched once (the gateway's token comes from msal's cache too)."""
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(simulator.ca_path)
        result = msal.ConfidentialClientApplication(
            app.client_id,
            authority=simulator.authority(app.tenant_id),
            client_credential=app.msal_credential(),
            instance_discovery=False,
            http_client=session,
        ).acquire_token_for_client(GRAPH_SCOPE)
    if "access_token" not in result:
        raise SystemExit(f"no token from the simulator: {result.get('error_description')}")
    with httpx.Client(
        base_url=simulator.graph_url,
        verify=ssl_context(simulator.ca_pem),
        headers={"Authorization": f"Bearer {result['access_token']}"},
        trust_env=False,
        timeout=10,
        follow_redirects=False,
    ) as client:
        yield client


def _compare(
    args: argparse.Namespace,
    client: httpx.Client,
    direct: httpx.Client,
    simulator: GraphSimulator,
    upn: str,
) -> None:
    """Time every way of both actions, interleaved, and print percentiles and verdicts."""
    read_path = f"/users/{upn}?$select={USER_FIELDS}"
    found = direct.get(read_path)
    if found.status_code != 200:
        raise SystemExit(f"{upn} not in the simulator's tenant: HTTP {found.status_code}")
    user_id = str(found.json()["id"])
    run_ids: dict[str, list[str]] = {action: [] for action in ACTIONS}

    def fixline(action: str) -> Callable[[], None]:
        def go() -> None:
            body = {
                "customer": CUSTOMER,
                "ticket_id": "BENCH-GRAPH",
                "action": action,
                "params": {"username": upn, **EXTRA.get(action, {})},
            }
            run = client.post("/runs", params={"wait": 30}, json=body).json()
            if run.get("status") != "succeeded" or run.get("changed") is not True:
                raise SystemExit(
                    f"{action} ended {run.get('status')} (changed {run.get('changed')}): "
                    f"{run.get('error') or run.get('detail') or run}"
                )
            run_ids[action].append(str(run["id"]))

        return go

    def write(action: str, target: str) -> None:
        # What HttpGraph sends for the fix's write: same path, body and headers.
        headers = {"client-request-id": str(uuid.uuid4())}
        if action == "password_reset":
            password = temporary_password.generate([TARGET])
            profile = {"password": password, "forceChangePasswordNextSignIn": True}
            answer = direct.patch(
                f"/users/{target}", json={"passwordProfile": profile}, headers=headers
            )
            expected = 204
        else:
            answer = direct.post(f"/users/{target}/revokeSignInSessions", headers=headers)
            expected = 200
        if answer.status_code != expected:
            raise SystemExit(f"direct {action} failed: HTTP {answer.status_code} {answer.text}")

    def write_only(action: str) -> Callable[[], None]:
        return lambda: write(action, user_id)

    def same_calls(action: str) -> Callable[[], None]:
        # What the gateway sends for a guarded fix: the user, its memberships, the write.
        def go() -> None:
            read = direct.get(read_path, headers={"client-request-id": str(uuid.uuid4())})
            if read.status_code != 200:
                raise SystemExit(f"direct read failed: HTTP {read.status_code}")
            target = str(read.json()["id"])
            groups = direct.get(
                f"/users/{target}/transitiveMemberOf",
                params={"$select": GROUP_FIELDS},
                headers={"client-request-id": str(uuid.uuid4())},
            )
            if groups.status_code != 200 or "value" not in groups.json():
                raise SystemExit(f"direct memberships read failed: HTTP {groups.status_code}")
            write(action, target)

        return go

    cases = {
        action: {
            FIXLINE: fixline(action),
            SAME_CALLS: same_calls(action),
            WRITE_ONLY: write_only(action),
        }
        for action in ACTIONS
    }
    for _ in range(WARM_UP):  # pools, imports, msal's token and discovery, TLS sessions
        for methods in cases.values():
            for method in methods.values():
                method()
    for ids in run_ids.values():
        ids.clear()
    simulator.clear_requests()
    times: dict[tuple[str, str], list[float]] = {
        (action, name): [] for action, methods in cases.items() for name in methods
    }
    for index in range(args.runs):
        for action, methods in cases.items():
            names = list(methods)
            turn = index % len(names)
            for name in names[turn:] + names[:turn]:
                began = time.perf_counter()
                methods[name]()
                times[(action, name)].append((time.perf_counter() - began) * 1000)
    _check_writes(simulator, args.runs, user_id)
    print(
        f"Entra ID fixes against the Graph simulator (not Microsoft Graph), "
        f"{args.runs} interleaved runs each"
        + (f", every answer held {args.latency_ms:g} ms" if args.latency_ms > 0 else "")
    )
    for (action, name), values in times.items():
        print(
            f"{action:<15} {name:<10} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms"
        )
    for action in ACTIONS:
        fix = statistics.median(times[(action, FIXLINE)])
        floor = statistics.median(times[(action, SAME_CALLS)])
        bound = 1.5 * floor + 10
        verdict = "ok" if fix <= bound else "MISSED"
        alone = statistics.median(times[(action, WRITE_ONLY)])
        print(
            f"{action:<15} Fixline/same calls {fix / floor:5.2f}x   Fixline-same calls "
            f"{fix - floor:5.1f} ms   target p50 <= 1.5 x same calls + 10 ms = {bound:.1f} ms: "
            f"{verdict}   (Fixline/write only {fix / alone:5.2f}x)"
        )
    for action in ACTIONS:
        fix = statistics.median(times[(action, FIXLINE)])
        _where(client, action, run_ids[action], fix, {user_id: "{id}", upn: "{upn}"})


def _check_writes(simulator: GraphSimulator, runs: int, user_id: str) -> None:
    """Every timed write reached the simulator: one per Fixline run, one per direct call."""
    writes = [(r.method, r.path) for r in simulator.requests if r.status < 400]
    expected = {
        ("PATCH", f"/v1.0/users/{user_id}"): 3 * runs,
        ("POST", f"/v1.0/users/{user_id}/revokeSignInSessions"): 3 * runs,
    }
    for (method, path), count in expected.items():
        seen = writes.count((method, path))
        if seen != count:
            raise SystemExit(f"the simulator got {seen} {method} {path}, not {count}")


def _where(
    client: httpx.Client, action: str, run_ids: list[str], observed: float, names: dict[str, str]
) -> None:
    """Where a Fixline run's time went, from the run itself: its Graph calls (the `graph`
    events, timed by the gateway) and the span from recorded to ended."""
    calls, graph_ms, span_ms = [], [], []
    sent: list[str] = []
    for run_id in run_ids:
        run = client.get(f"/runs/{run_id}").json()
        events = client.get(f"/runs/{run_id}/events", params={"stream": "false"}).json()
        made = [e["data"] for e in events if e["kind"] == "graph"]
        calls.append(len(made))
        sent = [f"{call['method']} {call['path']}" for call in made]
        graph_ms.append(sum(float(call["elapsed_ms"]) for call in made))
        span = _moment(run["finished_at"]) - _moment(run["created_at"])
        span_ms.append(span.total_seconds() * 1000)
    graph, span = statistics.median(graph_ms), statistics.median(span_ms)
    print(
        f"{action:<15} inside Fixline (p50): {statistics.median(calls):g} Graph calls "
        f"{graph:.1f} ms, run recorded->ended {span:.1f} ms (of it {span - graph:.1f} ms not "
        f"in Graph calls), outside the run {observed - span:.1f} ms (HTTP, validation, answer)"
    )
    for value, name in names.items():
        sent = [line.replace(value, name) for line in sent]
    print(f"{'':<15} its Graph calls: {', '.join(sent)}")


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


if __name__ == "__main__":
    main()
