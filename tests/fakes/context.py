"""A RunContext built by hand, to call an executor directly (no store, no dispatcher)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer
from runner_api.runs.context import EventIn, RunContext
from runner_api.secrets.redactor import Redactor


def run_context(
    spec: ActionSpec,
    customer: Customer,
    params: Mapping[str, Any],
    events: list[EventIn],
    reveal: Callable[[str], str] | None = None,
) -> RunContext:
    """One run of `spec` on its target parameter; its events go into `events`."""
    return RunContext(
        run_id=str(uuid.uuid4()),
        ticket_id="T-1",
        customer=customer,
        action=spec,
        target=str(params[spec.target_param]),
        params=params,
        check_mode=False,
        redactor=Redactor(),
        timeout_s=60,
        emit=events.append,
        reveal=reveal,
        cancel_requested=threading.Event(),
    )


__all__ = ["run_context"]
