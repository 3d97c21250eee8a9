"""OOF set two ways against the EWS simulator, interleaved: through MailboxExecutor (a full
RunContext: guardrails, read-before-write, diff, redaction) and a bare exchangelib call.
Prints medians and the ratio executor/direct.

The executor reads the OOF first (for the diff and no-change detection), so it sends two
requests where the direct call sends one; the ratio is mostly that.

    .venv/bin/python bench/mailbox.py [--runs 200]
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

from lab.ews import SITES, EwsSimulator, SimulatorState, seed  # noqa: E402
from lab.ews.accounts import SimulatorAccounts  # noqa: E402
from runner_api.accounts import AccountGuard  # noqa: E402
from runner_api.customers.models import Customer, MailboxConfig  # noqa: E402
from runner_api.mailbox import EwsMailbox, MailboxExecutor, mailbox_actions  # noqa: E402
from runner_api.runs.context import RunContext  # noqa: E402
from runner_api.runs.status import RunStatus  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential  # noqa: E402
from runner_api.secrets.redactor import Redactor  # noqa: E402

PASSWORD = "bench-password-123"
SERVICE = "svc-helpdesk@lab.test"
TARGET = "anna.schmidt@lab.test"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    state = SimulatorState()
    seed(state, SITES["lab"], PASSWORD)
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
        for i in range(args.runs):
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
        print(f"{name:12s} median {value:7.2f} ms over {args.runs} runs")
    print(f"ratio executor/exchangelib: {medians['executor'] / medians['exchangelib']:.2f}")
    requests = [r.operation for r in simulator.requests if r.user == SERVICE]
    per_run = len(requests) / (args.runs + 5)
    print(f"requests per executor run: {per_run:.1f} ({', '.join(sorted(set(requests)))})")


if __name__ == "__main__":
    main()
