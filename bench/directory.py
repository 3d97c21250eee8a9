"""Directory fixes through Fixline vs raw ldap3 against the lab's Samba DC, interleaved.

Fixline: `POST /runs?wait=30` (validate, record, queue, guardrail reads, modify, outcome,
reveal for resets) until the run is terminal, over HTTP to a real `fixline serve`.
Floor: the same modify with ldap3 on an already-bound, verified-TLS connection as the
same delegated account. Targets: Fixline p50 <= 1.5 x raw + 10 ms; unlock p50 < 100 ms.
For context, the unlock is also timed as raw ldap3 reading the target's entry first (what
any guarded fix must read) and then modifying it.

    .venv/bin/python bench/directory.py [--runs 30]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from ldap3 import BASE, MODIFY_REPLACE

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.figures import percentile  # noqa: E402
from bench.served import served  # noqa: E402
from lab.directory import DirectoryLab  # noqa: E402
from lab.directory_ldap import Connection  # noqa: E402
from lab.process import machine_lock  # noqa: E402
from runner_api.customers.registry import CustomerRegistry  # noqa: E402
from runner_api.directory.connections import open_connection  # noqa: E402
from runner_api.directory.ldap_gateway import TARGET_ATTRIBUTES  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402

RESET_USER, UNLOCK_USER = "paul.dubois", "karen.mills"
# The lock lab test sessions take: without it, a test session restarted the DC mid-bench.
LAB_LOCK = Path(tempfile.gettempdir()) / "fixline-test-lab.lock"
LAB_LOCK_WAIT_S = 1800
READ_MODIFY = "read+modify"
EXTRA = {"password_reset": {"caller_verification": {"method": "callback", "note": "bench"}}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="runs per method and action")
    args = parser.parse_args()
    with machine_lock(LAB_LOCK, LAB_LOCK_WAIT_S, poll_s=1):
        _bench(args)


def _bench(args: argparse.Namespace) -> None:
    """Start the lab DC and a served Fixline, compare, and take both down again."""
    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-dir-"))
    credentials = FileCredentialSource(scratch / "credentials")
    lab = DirectoryLab(scratch / "directory", credentials)
    lab.up()
    customer = CustomerRegistry(PROJECT / "inventories").get("lab")
    assert customer.directory is not None
    raw = open_connection(customer, credentials.directory_credential("lab"))

    def dn_of(sam: str) -> str:
        raw.search(customer.directory.base_dn, f"(sAMAccountName={sam})", attributes=["cn"])  # type: ignore[union-attr]
        return str(raw.response[0]["dn"])

    reset_dn, unlock_dn = dn_of(RESET_USER), dn_of(UNLOCK_USER)
    try:
        with served(scratch / "data", scratch / "credentials", timeout_s=60) as client:
            _compare(args, client, lab, raw, reset_dn, unlock_dn)
    finally:
        raw.unbind()
        lab.down()
        shutil.rmtree(scratch, ignore_errors=True)


def _compare(
    args: argparse.Namespace,
    client: httpx.Client,
    lab: DirectoryLab,
    raw: Any,
    reset_dn: str,
    unlock_dn: str,
) -> None:
    """Time both ways for both actions, interleaved, and print percentiles and verdicts."""
    upn = f"{UNLOCK_USER}@{lab.site('lab').dns_domain}"

    def lock_unlock_user() -> None:
        """Three bad binds lock the account (threshold 3), so each unlock changes it."""
        for _ in range(3):
            probe = Connection(raw.server, upn, "not-the-password")
            probe.bind()
            probe.unbind()

    def fixline(action: str, user: str) -> Callable[[], None]:
        def go() -> None:
            body = {
                "customer": "lab",
                "ticket_id": "BENCH-DIR",
                "action": action,
                "params": {"username": user, **EXTRA.get(action, {})},
            }
            answer = client.post("/runs", params={"wait": 30}, json=body)
            run = answer.json()
            if run.get("status") != "succeeded":
                raise SystemExit(f"{action} ended {run.get('status')}: {run.get('error')}")

        return go

    def raw_reset() -> None:
        pw = secrets.token_urlsafe(12) + "aA1!"
        ok = raw.modify(
            reset_dn,
            {
                "unicodePwd": [(MODIFY_REPLACE, [f'"{pw}"'.encode("utf-16-le")])],
                "pwdLastSet": [(MODIFY_REPLACE, ["0"])],
            },
        )
        if not ok:
            raise SystemExit(f"raw reset failed: {raw.result}")

    def raw_unlock() -> None:
        if not raw.modify(unlock_dn, {"lockoutTime": [(MODIFY_REPLACE, ["0"])]}):
            raise SystemExit(f"raw unlock failed: {raw.result}")

    def raw_read_unlock() -> None:
        # Context, not the target's floor: the least a guarded fix sends, the target's
        # entry read (what the guardrails decide on) and then the modify.
        raw.search(unlock_dn, "(objectClass=user)", BASE, attributes=list(TARGET_ATTRIBUTES))
        raw_unlock()

    cases = {
        "password_reset": {
            "Fixline": fixline("password_reset", RESET_USER),
            "raw ldap3": raw_reset,
        },
        "account_unlock": {
            "Fixline": fixline("account_unlock", UNLOCK_USER),
            "raw ldap3": raw_unlock,
            READ_MODIFY: raw_read_unlock,
        },
    }
    for methods in cases.values():  # warm-up: pools, imports, TLS sessions
        for method in methods.values():
            if methods is cases["account_unlock"]:
                lock_unlock_user()
            method()
    times = {(a, m): [] for a, methods in cases.items() for m in methods}
    for index in range(args.runs):
        for action, methods in cases.items():
            names = list(methods)
            turn = index % len(names)
            for name in names[turn:] + names[:turn]:
                if action == "account_unlock":
                    lock_unlock_user()  # each unlock really unlocks
                began = time.perf_counter()
                methods[name]()
                times[(action, name)].append((time.perf_counter() - began) * 1000)
    print(f"directory fixes against the lab Samba DC, {args.runs} interleaved runs each")
    for (action, name), values in times.items():
        print(
            f"{action:<15} {name:<11} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms"
        )
    for action in cases:
        fix = statistics.median(times[(action, "Fixline")])
        floor = statistics.median(times[(action, "raw ldap3")])
        bound = 1.5 * floor + 10
        verdict = "ok" if fix <= bound else "MISSED"
        print(
            f"{action:<15} Fixline/raw {fix / floor:5.2f}x   Fixline-raw {fix - floor:5.1f} ms   "
            f"target p50 <= {bound:.1f} ms: {verdict}"
        )
    unlock = statistics.median(times[("account_unlock", "Fixline")])
    guarded = statistics.median(times[("account_unlock", READ_MODIFY)])
    print(
        f"account_unlock {READ_MODIFY} (raw entry read, then modify) p50 {guarded:.1f} ms: "
        f"Fixline-that {unlock - guarded:.1f} ms (HTTP, records, audit, notices)"
    )
    print(
        f"account_unlock end to end p50 {unlock:.1f} ms (target < 100 ms): "
        f"{'ok' if unlock < 100 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
