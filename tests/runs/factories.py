"""Builders of runs and jobs for tests of our own logic."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier
from runner_api.customers.models import Customer
from runner_api.runs.models import Run
from runner_api.runs.service import Job
from runner_api.runs.status import RunStatus
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
