"""Signed webhooks against a real `fixline serve`: 50 concurrent senders post distinct
deliveries (plus one replay of each); prints the ack latency p50/p99 (target p99 < 100 ms),
deliveries acknowledged per second and runs started per second.

The runs are account unlocks for customer `lab` without its directory credentials: they are
recorded, queued, started and fail at once, so the figures are Fixline's own path
(signature, idempotency claim, mapping, start_run, dispatch), not a directory's.

    .venv/bin/python bench/webhooks.py [--deliveries 2000] [--senders 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
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
            local = threading.local()

            def client() -> httpx.Client:
                if not hasattr(local, "client"):
                    local.client = httpx.Client(base_url=base, timeout=30)
                return local.client  # type: ignore[no-any-return]

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
                answer = client().post("/webhooks/generic", content=body, headers=headers)
                took = time.perf_counter() - began
                if answer.status_code != 202:
                    raise SystemExit(f"delivery {n}: {answer.status_code} {answer.text}")
                return took

            # Warm-up (connections, first queries), not measured.
            with ThreadPoolExecutor(args.senders) as pool:
                list(pool.map(send, range(-2 * args.senders, 0)))
            sends = 2 * args.deliveries  # every delivery twice: the replay is the cheap path
            began = time.perf_counter()
            with ThreadPoolExecutor(args.senders) as pool:
                latencies = sorted(pool.map(send, range(sends)))
            wall = time.perf_counter() - began
            started = _wait_started(url, args.deliveries + args.senders)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{sends} signed deliveries ({args.deliveries} distinct + 1 replay each), "
        f"{args.senders} concurrent senders"
    )
    print(f"ack latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < 100 ms)")
    print(
        f"acknowledged: {sends / wall:.0f} deliveries/s; "
        f"runs queued: {args.deliveries / wall:.0f}/s"
    )
    print(f"runs started: {started:.0f}/s (first created to last started)")


def _wait_started(url: str, expected: int, timeout_s: float = 300) -> float:
    """Runs started per second, once every run has started (and ended)."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout_s
    query = (
        "SELECT COUNT(*), MIN(created_at), MAX(started_at) FROM runs WHERE started_at IS NOT NULL"
    )
    while True:
        with engine.connect() as db:
            count, first, last = db.execute(text(query)).one()
        if count >= expected or time.monotonic() > deadline:
            engine.dispose()
            span = (_when(last) - _when(first)).total_seconds()
            return float(count) / max(span, 1e-6)
        time.sleep(0.5)


def _when(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


if __name__ == "__main__":
    main()
