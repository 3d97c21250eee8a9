"""Rate limits counted from the runs table (SQLite and PostgreSQL): per requester, per
target, per action; Retry-After from the window; refusals and hits never count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from runner_api.approvals.rules import ApprovalRules
from runner_api.audit.log import AuditLog
from runner_api.auth.errors import RateLimitedError
from runner_api.database import Database
from runner_api.directory import directory_actions
from runner_api.runs.limits import Attempt, RateLimits
from runner_api.runs.schemas import Channel
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.types import utcnow
from tests.approvals.conftest import LOGINS_ONLY, Harness
from tests.runs.factories import CUSTOMER, make_run


def _attempt(target: str = "bob", by: str = "alice", channel: Channel = Channel.API) -> Attempt:
    return Attempt("acme", "INC-5", "account_touch", target, by, channel)


def _age(minutes: float) -> dict[str, object]:
    return {"created_at": utcnow() - timedelta(minutes=minutes)}


def test_requester_limit_with_retry_after_from_the_window(database: Database) -> None:
    store = RunStore(database)
    limits = RateLimits(database, per_requester_hour=2, per_target_hour=0, per_action_minute=0)
    store.insert(make_run(1, requested_by="alice", **_age(50)))
    store.insert(make_run(2, requested_by="alice", **_age(20)))
    with pytest.raises(RateLimitedError) as hit:
        limits.check(_attempt(target="carol"))
    # The run of 50 minutes ago leaves the hour in about 10 minutes.
    assert 590 <= hit.value.retry_after_s <= 601
    assert hit.value.details["limit"] == "requester"
    limits.check(_attempt(by="bob"))  # another requester is not limited


def test_refused_scheduled_and_old_runs_do_not_count(database: Database) -> None:
    store = RunStore(database)
    limits = RateLimits(database, per_requester_hour=1, per_target_hour=1, per_action_minute=0)
    store.insert(make_run(1, status=RunStatus.REFUSED.value, target="bob"))
    store.insert(make_run(2, channel=Channel.SCHEDULE.value, target="bob"))
    store.insert(make_run(3, target="bob", **_age(61)))
    limits.check(_attempt())
    # A scheduled follow-up (e.g. a revoke) is never held back.
    store.insert(make_run(4, target="bob"))
    limits.check(_attempt(channel=Channel.SCHEDULE))
    with pytest.raises(RateLimitedError):
        limits.check(_attempt())


def test_target_and_action_limits(database: Database) -> None:
    store = RunStore(database)
    by_target = RateLimits(database, per_requester_hour=0, per_target_hour=2, per_action_minute=0)
    by_action = RateLimits(database, per_requester_hour=0, per_target_hour=0, per_action_minute=2)
    store.insert(make_run(1, target="bob", requested_by="x"))
    store.insert(make_run(2, target="bob", requested_by="y"))
    with pytest.raises(RateLimitedError) as hit:
        by_target.check(_attempt(target="bob", by="z"))
    assert hit.value.details["limit"] == "target"
    by_target.check(_attempt(target="carol", by="z"))
    with pytest.raises(RateLimitedError) as tripped:
        by_action.check(_attempt(target="dave", by="z"))
    assert tripped.value.details["limit"] == "action" and tripped.value.retry_after_s <= 60


def test_a_hit_is_audited_and_not_counted(h: Harness) -> None:
    audit = h.store.audit
    assert isinstance(audit, AuditLog)
    limits = RateLimits(h.db, per_requester_hour=1, per_target_hour=0, per_action_minute=0,
                        audit=audit)  # fmt: skip
    h.store.insert(make_run(1, requested_by="alice"))
    for _ in range(3):
        with pytest.raises(RateLimitedError):
            limits.check(_attempt())
    with h.db.session() as session:
        rows = session.execute(
            text("SELECT type, actor, target, data FROM audit_records WHERE type = :t"),
            {"t": "run.rate_limited"},
        ).all()
        runs = session.scalar(text("SELECT count(*) FROM runs"))
    assert len(rows) == 3 and rows[0].actor == "alice" and rows[0].target == "bob"
    assert "requester" in str(rows[0].data)
    assert runs == 1


def test_every_high_risk_action_waits_when_configured(database: Database) -> None:
    reset = next(spec for spec in directory_actions() if spec.name == "password_reset")
    params = {"username": "henry.moreau"}
    assert (
        ApprovalRules(database, LOGINS_ONLY, 600, False).reasons(reset, CUSTOMER, params, "henry")
        == []
    )
    [reason] = ApprovalRules(database, LOGINS_ONLY, 600, True).reasons(
        reset, CUSTOMER, params, "henry"
    )
    assert reason.rule == "high_risk_action"
