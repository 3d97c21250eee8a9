"""The worker's report survives the wire whole: follow-ups, whom to notify, the diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from runner_api.runs.context import Affected, Contact, FollowUp, Outcome
from runner_api.runs.status import RunStatus
from runner_api.sites.wire import FinishIn, WireOutcome


def test_an_outcome_round_trips_through_json() -> None:
    due = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    outcome = Outcome(
        RunStatus.SUCCEEDED,
        changed=True,
        summary="added ben.carter to VPN-Users",
        diff={"before": {"groups": []}, "after": {"groups": ["VPN-Users"]}},
        versions={"ldap3": "2.9.1"},
        details={"expires_at": due.isoformat()},
        follow_ups=(
            FollowUp("group_remove", {"username": "ben.carter", "group": "VPN-Users"}, due),
        ),
        affected=Affected(
            "ben.carter",
            Contact("Ben Carter", "ben.carter@lab.test"),
            manager=Contact("Anna Schmidt", None),
            granted="VPN-Users",
        ),
    )
    body = FinishIn(worker="host:1:2", outcome=WireOutcome.of(outcome))
    again = FinishIn.model_validate_json(body.model_dump_json()).outcome.outcome()
    assert again == outcome


def test_an_unfinished_status_is_not_an_end() -> None:
    with pytest.raises(ValidationError):
        WireOutcome(status=RunStatus.RUNNING)
    # An executor that returned a non-terminal status is reported as failed, as locally.
    assert WireOutcome.of(Outcome(RunStatus.RUNNING)).status is RunStatus.FAILED


def test_a_report_is_bounded() -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    many = [{"action": "group_remove", "params": {}, "due_at": later.isoformat()}] * 21
    with pytest.raises(ValidationError):
        WireOutcome.model_validate({"status": "succeeded", "follow_ups": many})
