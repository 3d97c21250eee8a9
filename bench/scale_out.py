"""Scale-out vs the local pool: the same runs through 2 site workers (Celery on Redis) and
through the local pool (2 threads), both on the same PostgreSQL store and the same lab.

Prints, per mode: throughput of a burst (200 account_unlock runs over 10 accounts, and 20
smoke_check playbook runs), time from request to end per run (p50/p95), and the end-to-end
latency of sequential unlocks (POST /runs?wait) -- the added latency per run is the
difference between the two modes, measured in the same run.

    .venv/bin/python bench/scale_out.py [--unlocks 200] [--playbooks 20] [--sequential 30]

Needs root (the lab), Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.figures import percentile  # noqa: E402
from lab import Lab  # noqa: E402
from lab.postgres import private_schema  # noqa: E402
from lab.process import machine_lock  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402

FIXLINE = str(Path(sys.executable).parent / "fixline")
SITE = "branch-a"
USERS = [
    "ben.carter",
    "henry.moreau",
    "karen.mills",
    "paul.dubois",
    "anna.schmidt",
    "emma.larsen",
    "isabel.garcia",
    "olivia.brown",
    "quinn.taylor",
    "tom.hughes",
]
TERMINAL = {"succeeded", "failed", "refused", "canceled", "timed_out", "interrupted"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _project_copy(target: Path) -> Path:
    """This project with the lab customer moved to the bench's site."""
    shutil.copytree(
        PROJECT, target, ignore=shutil.ignore_patterns(".venv", ".git", ".fixline", "__pycache__")
    )
    config = target / "inventories" / "lab" / "fixline.yml"
    config.write_text(config.read_text().replace("site: local", f"site: {SITE}", 1))
    return target


@contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=out)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_healthy(client: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"fixline serve exited:\n{log.read_text()[-2000:]}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("fixline serve did not come up")


def _wait_ready(log: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None or " ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SystemExit(f"fixline worker did not get ready:\n{log.read_text()[-2000:]}")


def _run_body(action: str, n: int) -> dict[str, Any]:
    params: dict[str, Any] = (
        {"username": USERS[n % len(USERS)]} if action == "account_unlock" else {"host": "lab-host"}
    )
    return {"customer": "lab", "ticket_id": f"INC-B{n}", "action": action, "params": params}


def _burst(client: httpx.Client, action: str, count: int) -> dict[str, float]:
    """Submit `count` runs at once (8 senders), wait for all: throughput and per-run times."""
    began = time.monotonic()
    with ThreadPoolExecutor(8) as senders:
        answers = list(
            senders.map(lambda n: client.post("/runs", json=_run_body(action, n)), range(count))
        )
    ids = [answer.json()["id"] for answer in answers if answer.status_code == 202]
    if len(ids) != count:
        bad = next(a for a in answers if a.status_code != 202)
        raise SystemExit(f"a run was not accepted: {bad.status_code} {bad.text[:300]}")
    runs: dict[str, dict[str, Any]] = {}
    while len(runs) < count:
        for run_id in ids:
            if run_id not in runs:
                run = client.get(f"/runs/{run_id}").json()
                if run["status"] in TERMINAL:
                    runs[run_id] = run
        if time.monotonic() - began > 900:
            raise SystemExit(f"{count - len(runs)} {action} runs did not end in 900 s")
        time.sleep(0.05)
    wall = time.monotonic() - began
    failed = [r for r in runs.values() if r["status"] != "succeeded"]
    if failed:
        raise SystemExit(f"{len(failed)} {action} runs did not succeed: {failed[0]}")
    spans = [
        (
            datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["created_at"])
        ).total_seconds()
        for r in runs.values()
    ]
    return {
        "runs_per_s": count / wall,
        "wall_s": wall,
        "p50_ms": 1000 * statistics.median(spans),
        "p95_ms": 1000 * percentile(spans, 0.95),
    }


def _sequential(client: httpx.Client, count: int) -> dict[str, float]:
    """Unlocks one after another, each until its end (POST /runs?wait): end-to-end times."""
    times = []
    for n in range(count):
        began = time.perf_counter()
        answer = client.post("/runs", params={"wait": 30}, json=_run_body("account_unlock", n))
        times.append(1000 * (time.perf_counter() - began))
        if answer.json().get("status") != "succeeded":
            raise SystemExit(f"a sequential unlock did not succeed: {answer.text[:300]}")
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95)}


def _measure(
    mode: str,
    args: argparse.Namespace,
    scratch: Path,
    project: Path,
    credentials: FileCredentialSource,
) -> dict[str, dict[str, float]]:
    port, token = _free_port(), secrets.token_urlsafe(24)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    base = {
        **os.environ,
        "FIXLINE_PROJECT_DIR": str(project),
        "FIXLINE_BROKER_URL": args.broker_url,
        "FIXLINE_QUEUE_PREFIX": prefix,
    }
    with private_schema(args.database_url, "bench") as database_url:
        central = {
            **base,
            "FIXLINE_DATA_DIR": str(scratch / f"{mode}-central"),
            # Each process imports its own copy, and removes it once imported.
            "FIXLINE_CREDENTIALS_DIR": str(
                credentials.hand_over(scratch / f"{mode}-central-credentials")
            ),
            "FIXLINE_DATABASE_URL": database_url,
            "FIXLINE_PORT": str(port),
            "FIXLINE_BOOTSTRAP_TOKEN": token,
            "FIXLINE_WORKERS": "2",
            "FIXLINE_EXECUTOR": "celery" if mode == "celery" else "local",
            # A benchmark repeats fixes on few targets: limits and approvals are off here.
            "FIXLINE_RATE_LIMIT_REQUESTER_PER_HOUR": "0",
            "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "0",
            "FIXLINE_RATE_LIMIT_TARGET_REQUESTER_PER_HOUR": "0",
            "FIXLINE_RATE_LIMIT_ACTION_PER_MINUTE": "0",
            "FIXLINE_APPROVAL_REPEAT_RESET_S": "0",
        }
        if mode == "local":
            central["FIXLINE_LOCAL_SITES"] = f'["{SITE}"]'
        log = scratch / f"{mode}-central.log"
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        with _process([FIXLINE, "serve"], central, log) as server:
            _wait_healthy(client, server, log)
            with _workers(mode, base, scratch, client, credentials):
                results = {
                    "unlock burst": _burst(client, "account_unlock", args.unlocks),
                    "playbook burst": _burst(client, "smoke_check", args.playbooks),
                    "unlock sequential": _sequential(client, args.sequential),
                }
        client.close()
    redis.Redis.from_url(args.broker_url).delete(f"{prefix}.site.{SITE}")
    return results


@contextmanager
def _workers(
    mode: str,
    base: dict[str, str],
    scratch: Path,
    client: httpx.Client,
    credentials: FileCredentialSource,
) -> Iterator[None]:
    """Two `fixline worker --site` processes of one run at a time each (celery mode)."""
    with ExitStack() as stack:
        if mode == "celery":
            created = client.post(
                "/tokens", json={"name": "bench-worker", "role": "worker", "customers": ["lab"]}
            )
            for n in range(2):
                env = {
                    **base,
                    "FIXLINE_DATA_DIR": str(scratch / f"worker-{n}"),
                    "FIXLINE_CREDENTIALS_DIR": str(
                        credentials.hand_over(scratch / f"worker-{n}-credentials")
                    ),
                    "FIXLINE_API_URL": str(client.base_url),
                    "FIXLINE_WORKER_TOKEN": created.json()["token"],
                }
                log = scratch / f"worker-{n}.log"
                argv = [FIXLINE, "worker", "--site", SITE, "--concurrency", "1"]
                _wait_ready(log, stack.enter_context(_process(argv, env, log)))
        yield


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--unlocks", type=int, default=200)
    parser.add_argument("--playbooks", type=int, default=20)
    parser.add_argument("--sequential", type=int, default=30)
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-scale-"))
    lock = Path(tempfile.gettempdir()) / "fixline-test-lab.lock"
    try:
        # The lab's DCs and sshd are shared with test sessions: hold them for the whole bench.
        with machine_lock(lock, 1800, poll_s=1):
            credentials = FileCredentialSource(scratch / "credentials")
            lab = Lab(scratch / "lab", credentials)
            lab.up()
            try:
                project = _project_copy(scratch / "project")
                results = {
                    mode: _measure(mode, args, scratch, project, credentials)
                    for mode in ("local", "celery")
                }
            finally:
                lab.down()
        _report(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    local, celery = results["local"], results["celery"]
    print(f"{'figure':<34}{'local pool':>14}{'2 site workers':>16}{'ratio':>8}")
    for phase in ("unlock burst", "playbook burst"):
        for key, unit in (("runs_per_s", "runs/s"), ("p50_ms", "ms"), ("p95_ms", "ms")):
            a, b = local[phase][key], celery[phase][key]
            print(f"{phase + ' ' + key:<34}{a:>11.2f} {unit:<3}{b:>12.2f} {unit:<3}{b / a:>8.2f}")
    a, b = local["unlock sequential"]["p50_ms"], celery["unlock sequential"]["p50_ms"]
    print(f"{'unlock sequential p50_ms':<34}{a:>11.2f} ms {b:>12.2f} ms {b / a:>8.2f}")
    print(f"added latency per run (sequential unlock p50): {b - a:+.1f} ms")


if __name__ == "__main__":
    main()
