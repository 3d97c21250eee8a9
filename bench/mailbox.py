"""Out of office set on both mailbox backends, each two ways, interleaved.

EWS (on-premises Exchange), against the EWS simulator: through MailboxExecutor (a full
RunContext: guardrails, read-before-write, diff, redaction) and a bare exchangelib call.
The executor reads the OOF first (for the diff and no-change detection), so it sends two
requests where the direct call sends one; the ratio is mostly that.

Graph (Exchange Online), against the Graph simulator (lab/graph, not Microsoft Graph):
`POST /runs?wait=30` to a real `fixline serve` whose cloud-only customer `fabrikam` has
`mailbox.backend: graph` (validate, record, queue, the owner's account vetted in Entra ID,
the settings read, the write, outcome) vs the same call made directly: the PATCH of
/users/{upn}/mailboxSettings with httpx on a kept-alive, verified-TLS client holding a token
msal fetched once (cached). Target: Fixline p50 <= 1.5 x direct + 10 ms. For context, the
calls Fixline makes are also timed made directly one after the other ("same calls": the
user, its memberships, the settings, the PATCH). Each run alternates the message, so every
run writes.

    .venv/bin/python bench/mailbox.py [--runs 200] [--backend ews|graph|both]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from exchangelib import (
    BASIC,
    IMPERSONATION,
    UTC,
    Account,
    Build,
    Configuration,
    Credentials,
    FailFast,
    OofSettings,
    Version,
)
from pydantic import SecretStr

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.figures import percentile  # noqa: E402
from bench.graph import fabrikam_served  # noqa: E402
from lab.ews import SITES, EwsSimulator, SimulatorState  # noqa: E402
from lab.ews import seed as seed_ews  # noqa: E402
from lab.ews.accounts import SimulatorAccounts  # noqa: E402
from runner_api.accounts import AccountGuard  # noqa: E402
from runner_api.customers.models import Customer, MailboxConfig  # noqa: E402
from runner_api.exchange_online.values import setting_of  # noqa: E402
from runner_api.mailbox import EwsMailbox, MailboxExecutor, mailbox_actions  # noqa: E402
from runner_api.mailbox.gateway import Audience, Oof, OofState  # noqa: E402
from runner_api.runs.context import RunContext  # noqa: E402
from runner_api.runs.status import RunStatus  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential  # noqa: E402
from runner_api.secrets.redactor import Redactor  # noqa: E402

PASSWORD = "bench-password-123"
SERVICE = "svc-helpdesk@lab.test"
TARGET = "anna.schmidt@lab.test"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="runs per way and backend")
    parser.add_argument("--backend", choices=("ews", "graph", "both"), default="both")
    args = parser.parse_args()
    if args.backend in ("ews", "both"):
        ews(args.runs)
    if args.backend in ("graph", "both"):
        graph(min(args.runs, 100))


def ews(runs: int) -> None:
    """The EWS backend: executor vs exchangelib (see the module's text)."""
    state = SimulatorState()
    seed_ews(state, SITES["lab"], PASSWORD)
    simulator = EwsSimulator(state).start()
    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-mailbox-"))
    credentials = FileCredentialSource(scratch)
    credentials.store_mailbox_credential("lab", MailboxCredential(SERVICE, SecretStr(PASSWORD)))
    customer = Customer(
        "lab", "lab", scratch,
        mailbox=MailboxConfig(simulator.url, ("lab.test",), auth_type="basic", timeout_s=5),
    )  # fmt: skip
    spec = next(s for s in mailbox_actions() if s.name == "mailbox_oof_set")
    gateway = EwsMailbox(credentials)
    # The simulator's mailboxes stand for the directory: this measures the Exchange side.
    executor = MailboxExecutor(gateway, AccountGuard(SimulatorAccounts(simulator)))
    # A second login, so the direct call has its own exchangelib Protocol (no shared pool).
    state.add_account("bench-direct@lab.test", PASSWORD, impersonates=("lab.test",))
    direct = Account(
        TARGET,
        config=Configuration(
            service_endpoint=simulator.url,
            credentials=Credentials("bench-direct@lab.test", PASSWORD),
            auth_type=BASIC,
            version=Version(build=Build(15, 1, 2507, 6)),
            retry_policy=FailFast(),
        ),
        access_type=IMPERSONATION,
        autodiscover=False,
        default_timezone=UTC,
    )

    def via_executor(i: int) -> None:
        ctx = RunContext(
            run_id=str(uuid.uuid4()), ticket_id="BENCH", customer=customer, action=spec,
            target=TARGET, params={"mailbox": TARGET, "internal_message": f"Away {i}"},
            check_mode=False, redactor=Redactor(), timeout_s=60, emit=lambda event: None,
            cancel_requested=threading.Event(),
        )  # fmt: skip
        outcome = executor.execute(ctx)
        if outcome.status is not RunStatus.SUCCEEDED or not outcome.changed:
            raise SystemExit(f"executor run failed: {outcome}")

    def via_exchangelib(i: int) -> None:
        direct.oof_settings = OofSettings(
            state="Enabled", external_audience="Known",
            internal_reply=f"Direct {i}", external_reply=f"Direct {i}",
        )  # fmt: skip

    timings: dict[str, list[float]] = {"executor": [], "exchangelib": []}
    try:
        for i in range(5):  # warm up sessions on both sides
            via_executor(-i - 1)
            via_exchangelib(-i - 1)
        for i in range(runs):
            for name, call in (("executor", via_executor), ("exchangelib", via_exchangelib)):
                started = time.perf_counter()
                call(i)
                timings[name].append(time.perf_counter() - started)
    finally:
        gateway.close()
        direct.protocol.close()
        simulator.stop()
    medians = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    for name, value in medians.items():
        print(f"EWS    {name:12s} median {value:7.2f} ms over {runs} runs")
    print(f"EWS    ratio executor/exchangelib: {medians['executor'] / medians['exchangelib']:.2f}")
    requests = [r.operation for r in simulator.requests if r.user == SERVICE]
    per_run = len(requests) / (runs + 5)
    print(f"EWS    requests per executor run: {per_run:.1f} ({', '.join(sorted(set(requests)))})")


GRAPH_CUSTOMER = "fabrikam"
# An ordinary mailbox of the seed (lab/graph/seed.py): no role, not a VIP, not deny-listed.
GRAPH_TARGET = "adele.vance"
FIXLINE, PATCH_ONLY, SAME_CALLS = "Fixline", "direct", "same calls"


def graph(runs: int) -> None:
    """The Graph backend: POST /runs?wait vs the PATCH made directly (see the module's text)."""
    mailbox = {"backend": "graph", "accepted_domains": ["fabrikam.example"]}
    with fabrikam_served("mailbox", mailbox=mailbox) as (_, client, direct, domain):
        _graph_compare(runs, client, direct, f"{GRAPH_TARGET}@{domain}")


def _graph_compare(runs: int, client: httpx.Client, direct: httpx.Client, upn: str) -> None:
    settings = f"/users/{upn}/mailboxSettings"

    def fixline(i: int) -> None:
        body = {
            "customer": GRAPH_CUSTOMER,
            "ticket_id": "BENCH-MAILBOX",
            "action": "mailbox_oof_set",
            "params": {"mailbox": upn, "internal_message": f"Away {i % 2}"},
        }
        run = client.post("/runs", params={"wait": 30}, json=body).json()
        if run.get("status") != "succeeded" or run.get("changed") is not True:
            raise SystemExit(f"Fixline's OOF run ended {run.get('status')}: {run.get('error')}")

    def patch(i: int) -> None:
        # What GraphMailbox sends: the whole automaticRepliesSetting, messages as HTML.
        oof = Oof(OofState.ENABLED, Audience.KNOWN, f"Direct {i % 2}", f"Direct {i % 2}")
        body = {"automaticRepliesSetting": setting_of(oof)}
        answer = direct.patch(settings, json=body, headers={"client-request-id": str(uuid.uuid4())})
        if answer.status_code != 200:
            raise SystemExit(f"direct PATCH failed: HTTP {answer.status_code} {answer.text}")

    def same_calls(i: int) -> None:
        for path in (f"/users/{upn}", f"/users/{upn}/transitiveMemberOf", settings):
            if direct.get(path).status_code != 200:
                raise SystemExit(f"direct GET {path} failed")
        patch(i)

    ways = {FIXLINE: fixline, PATCH_ONLY: patch, SAME_CALLS: same_calls}
    for i in range(3):  # pools, imports, msal's token and discovery, TLS sessions
        for way in ways.values():
            way(i)
    times: dict[str, list[float]] = {name: [] for name in ways}
    for i in range(runs):
        names = list(ways)
        turn = i % len(names)
        for name in names[turn:] + names[:turn]:
            began = time.perf_counter()
            ways[name](i)
            times[name].append((time.perf_counter() - began) * 1000)
    print(
        "Graph  out of office on the Graph simulator (not Microsoft Graph), "
        f"{runs} interleaved runs each"
    )
    for name, values in times.items():
        print(
            f"Graph  {name:<10} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {percentile(values, 0.95):7.1f} ms"
        )
    fix = statistics.median(times[FIXLINE])
    floor = statistics.median(times[PATCH_ONLY])
    bound = 1.5 * floor + 10
    same = statistics.median(times[SAME_CALLS])
    print(
        f"Graph  Fixline/direct {fix / floor:5.2f}x   Fixline-direct {fix - floor:5.1f} ms   "
        f"target p50 <= 1.5 x direct + 10 ms = {bound:.1f} ms: "
        f"{'ok' if fix <= bound else 'MISSED'}   (Fixline - same calls {fix - same:5.1f} ms)"
    )


if __name__ == "__main__":
    main()
