"""Signed webhooks against a real `fixline serve`: 50 concurrent senders post distinct
deliveries (plus one replay of each); prints the ack latency p50/p99 (target p99 < 100 ms),
deliveries acknowledged per second and runs started per second.

A delivery is answered once it is checked and stored (202, status "accepted"); its run is
started from the delivery table by the service's starter thread, while the senders go on.
The runs are account unlocks for customer `lab` without its directory credentials: they are
recorded, queued, started and fail at once, so the figures are Fixline's own path
(signature, idempotency, mapping, start_run, dispatch), not a directory's. They run in the
same process as the answers, so they compete with them for the CPU and the store.

    .venv/bin/python bench/webhooks.py [--deliveries 2000] [--senders 50] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.served import served  # noqa: E402
from runner_api.webhooks.sender import signed_headers  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="deliveries per second offered by all senders together, on a fixed schedule "
        "(latency counted from each send's scheduled time); 0: every sender sends its next "
        "delivery as soon as the last is answered (saturation)",
    )
    parser.add_argument(
        "--database-url", help="e.g. a PostgreSQL URL; default the SQLite file of the data dir"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fixline-bench-hooks-") as tmp:
        root = Path(tmp)
        sources = root / "webhooks.yml"
        sources.write_text("version: 1\nsources:\n  generic:\n    customers: [lab]\n")
        os.environ["FIXLINE_WEBHOOK_SOURCES_FILE"] = str(sources)
        os.environ["FIXLINE_WEBHOOK_SECRETS"] = json.dumps({"generic": [SECRET]})
        url = args.database_url or f"sqlite:///{root / 'data' / 'fixline.db'}"
        os.environ["FIXLINE_DATABASE_URL"] = url
        with served(root / "data", root / "no-credentials") as admin:
            base = admin.base_url
            # One client per sender, made before anything is timed: making one costs tens
            # of milliseconds of CPU, which would otherwise land in the first sends.
            clients = [httpx.Client(base_url=base, timeout=30) for _ in range(args.senders)]

            def client(n: int) -> httpx.Client:
                return clients[n % args.senders]

            def send(n: int) -> float:
                body = json.dumps(
                    {
                        "customer": "lab",
                        "ticket_id": f"BENCH-{n // 2}",
                        "action": "account_unlock",
                        "params": {"username": f"user{n // 2}"},
                    }
                ).encode()
                headers = signed_headers(SECRET, body, f"bench-delivery-{n // 2}")
                began = time.perf_counter()
                answer = client(n).post("/webhooks/generic", content=body, headers=headers)
                took = time.perf_counter() - began
                if answer.status_code != 202:
                    raise SystemExit(f"delivery {n}: {answer.status_code} {answer.text}")
                return took

            def ping(n: int) -> float:
                began = time.perf_counter()
                answer = client(n).get("/healthz")
                took = time.perf_counter() - began
                if answer.status_code != 200:
                    raise SystemExit(f"/healthz: {answer.status_code}")
                return took

            sends = 2 * args.deliveries  # every delivery twice: the replay is the cheap path
            # The floor, in the same run: the same senders and count against the cheapest
            # route of the same server (no auth, one SELECT 1): what serving alone costs here.
            # First, so that the deliveries' figures start with their own warm-up.
            _measure(ping, 2 * args.senders, args.senders, 0)
            floor = _measure(ping, sends, args.senders, args.rate)
            # Warm-up (connections, first queries), not measured.
            _measure(lambda n: send(n - 2 * args.senders), 2 * args.senders, args.senders, 0)
            began = time.perf_counter()
            latencies = _measure(send, sends, args.senders, args.rate)
            wall = time.perf_counter() - began
            answered = time.time()
            started = _wait_started(url, args.deliveries + args.senders)
            for each in clients:
                each.close()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    offered = f"offered at {args.rate:.0f}/s" if args.rate else "as fast as answered"
    print(
        f"{sends} signed deliveries ({args.deliveries} distinct + 1 replay each), "
        f"{args.senders} concurrent senders, {offered} "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    print(f"ack latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < 100 ms)")
    floor_p50 = statistics.median(floor) * 1000
    floor_p99 = floor[int(len(floor) * 0.99) - 1] * 1000
    print(
        f"floor, GET /healthz with the same senders: p50 {floor_p50:.1f} ms, "
        f"p99 {floor_p99:.1f} ms; ratio ack/floor: p50 {p50 / floor_p50:.2f}, "
        f"p99 {p99 / floor_p99:.2f}"
    )
    print(
        f"acknowledged: {sends / wall:.0f} deliveries/s "
        f"({args.deliveries / wall:.0f} distinct deliveries/s)"
    )
    print(
        f"runs started: {started.per_s:.0f}/s (first delivery stored to last run started); "
        f"the last run started {max(0.0, started.last - answered):.1f} s after the last answer"
    )


def _measure(send: Callable[[int], float], count: int, senders: int, rate: float) -> list[float]:
    """Latencies of `count` sends by `senders` threads, sorted: closed loop when rate is 0,
    else on a fixed schedule (send n at n / rate s), timed from the scheduled moment so that
    a late answer also delays what queues behind it (no coordinated omission)."""
    if not rate:
        with ThreadPoolExecutor(senders) as pool:
            return sorted(pool.map(send, range(count)))
    start = time.perf_counter() + 0.5

    def paced(first: int) -> list[float]:
        taken = []
        for n in range(first, count, senders):
            due = start + n / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            send(n)
            taken.append(time.perf_counter() - due)
        return taken

    with ThreadPoolExecutor(senders) as pool:
        return sorted(t for chunk in pool.map(paced, range(senders)) for t in chunk)


@dataclass(frozen=True)
class Started:
    per_s: float
    last: float  # Unix time the last run started


def _wait_started(url: str, expected: int, timeout_s: float = 600) -> Started:
    """Runs started per second, once every delivery's run has started."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout_s
    runs = "SELECT COUNT(*), MAX(started_at) FROM runs WHERE started_at IS NOT NULL"
    while True:
        with engine.connect() as db:
            count, last = db.execute(text(runs)).one()
            first = db.execute(text("SELECT MIN(created_at) FROM webhook_deliveries")).scalar_one()
        if count >= expected or time.monotonic() > deadline:
            engine.dispose()
            if count < expected:
                raise SystemExit(f"only {count} of {expected} runs started in {timeout_s} s")
            span = (_when(last) - _when(first)).total_seconds()
            return Started(float(count) / max(span, 1e-6), _when(last).timestamp())
        time.sleep(0.5)


def _when(value: datetime | str) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite keeps them naive, UTC


if __name__ == "__main__":
    main()
