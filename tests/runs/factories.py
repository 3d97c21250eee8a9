"""Builders of runs and jobs for tests of our own logic."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier
from runner_api.customers.models import Customer
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.service import Job
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.secrets.redactor import Redactor
from runner_api.types import utcnow


class AccountParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str
    secret: SecretStr | None = None
    group: str = "VPN-Users"


ACCOUNT_ACTION = ActionSpec(
    name="account_touch",
    kind=ActionKind.DIRECTORY,
    title="Touch an account",
    description="Test action",
    params_model=AccountParams,
    risk=RiskTier.LOW,
    target_param="account",
    allowlisted={"group": "groups"},
)

CUSTOMER = Customer(
    name="acme",
    display_name="Acme",
    inventory_dir=__import__("pathlib").Path("."),
    allowlists={"groups": frozenset({"VPN-Users"})},
)


def make_run(n: int = 0, **overrides: Any) -> Run:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "customer": "acme",
        "ticket_id": f"INC-{n}",
        "action": "account_touch",
        "target": f"user{n}",
        "params": {"account": f"user{n}"},
        "check_mode": False,
        "requested_by": "tester",
        "requester_id": "test:tester",
        "channel": "api",
        "status": RunStatus.QUEUED.value,
        "summary": "",
        "details": {},
        "versions": {},
        "timeout_s": 60,
        "cancel_requested": False,
        "worker": "elsewhere:1:1",
        "heartbeat_at": utcnow(),
        "created_at": utcnow() + timedelta(milliseconds=n),
    }
    values.update(overrides)
    if "requested_by" in overrides and "requester_id" not in overrides:
        # A requester named in a test is a caller of its own.
        values["requester_id"] = f"test:{overrides['requested_by']}"
    return Run(**values)


def make_job(run: Run, timeout_s: int = 60, secrets: tuple[str, ...] = ()) -> Job:
    return Job(
        run_id=run.id,
        ticket_id=run.ticket_id,
        customer=CUSTOMER,
        action=ACCOUNT_ACTION,
        target=run.target,
        params=dict(run.params),
        check_mode=False,
        redactor=Redactor(secrets),
        timeout_s=timeout_s,
        sealable=dict(run.params),
    )


def fill_store(store: RunStore) -> list[Run]:
    """Runs of every shape a listing and `fixline show` meet, with events, newest last:
    tickets sharing a prefix, two customers, several statuses and requesters, a shared
    moment (the order falls back to the id), JSON with non-ASCII text and floats, a moment
    on a whole second, a sealed job."""
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    runs = [
        make_run(1, ticket_id="INC-1", created_at=start),
        make_run(2, ticket_id="INC-10", customer="beta", status=RunStatus.SUCCEEDED.value),
        make_run(3, ticket_id="INC-104", requested_by="ann", check_mode=True),
        make_run(4, ticket_id="inc-1", status=RunStatus.FAILED.value, error="ssh: refused"),
        make_run(
            5,
            ticket_id="CHG-7",
            action="vpn_grant",
            status=RunStatus.SUCCEEDED.value,
            changed=True,
            summary="granted",
            diff={"before": {"groups": []}, "after": {"groups": ["VPN-Users"]}},
            details={"note": "Grüße, 東京", "ratio": 0.1, "nested": {"n": [1, 2.5, None]}},
            versions={"fixline": "0.1.0", "ansible-core": "2.17"},
            finished_at=start + timedelta(minutes=5, microseconds=7),
        ),
        make_run(6, ticket_id="INC-2", sealed_job=b"\x00sealed\xff"),
        make_run(7, ticket_id="INC-3", status=RunStatus.RUNNING.value),
    ]
    # Two runs of one moment: the order then falls back to the id, on every reader.
    runs[-1].created_at = runs[-2].created_at
    for run in runs:
        store.insert(run)
    for seq, (kind, host, message) in enumerate(
        [
            ("start", None, "vpn_grant on ann"),
            ("task", "lab-host", "[lab-host] Gathering Facts"),
            ("ok", "lab-host", "changed: groups"),
            ("end", None, "succeeded: granted"),
        ],
        start=1,
    ):
        event = RunEvent(
            run_id=runs[4].id,
            seq=seq,
            created_at=start + timedelta(seconds=seq),
            kind=kind,
            task="Grant" if host else None,
            host=host,
            message=message,
            data={"n": seq, "ü": [0.5]},
        )
        store.add_event(event)
    return runs
