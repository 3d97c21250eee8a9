"""Rate limits counted from the runs table (SQLite and PostgreSQL): per requester, per
target, per action; Retry-After from the window; refusals and hits never count."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from runner_api.approvals.rules import ApprovalRules
from runner_api.audit.log import AuditLog
from runner_api.auth.errors import RateLimitedError
from runner_api.database import Database
from runner_api.directory import directory_actions
from runner_api.runs.attempt import Attempt
from runner_api.runs.limits import RateLimits
from runner_api.runs.schemas import Channel, LimitClearCreate
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.types import utcnow
from tests.approvals.conftest import LOGINS_ONLY, Harness
from tests.runs.factories import CUSTOMER, make_run


def _attempt(target: str = "bob", by: str = "alice", channel: Channel = Channel.API) -> Attempt:
    return Attempt("acme", "INC-5", "account_touch", target, by, channel, requester_id=f"test:{by}")


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


# --- issue 18 item 7: previews, separate limits, who and when, clears ---------------------


def _by(requester: str) -> dict[str, str]:
    """A run's requester as the limits key it (requester_key in runs/limits.py)."""
    return {"requested_by": requester}


def _limits(database: Database, **values: int) -> RateLimits:
    on = {"per_requester_hour": 0, "per_target_hour": 0, "per_action_minute": 0} | values
    return RateLimits(database, **on)  # type: ignore[arg-type]


def test_previews_never_count_and_are_never_held_back(database: Database) -> None:
    store = RunStore(database)
    limits = _limits(database, per_requester_hour=2, per_target_hour=2, per_action_minute=2)
    for n in range(5):
        store.insert(make_run(n, target="bob", **_by("alice"), check_mode=True))
    # Five previews of alice on bob: nothing is used up, for her or for anyone.
    limits.check(_attempt())
    limits.check(_attempt(by="carol"))
    store.insert(make_run(10, target="bob", **_by("alice")))
    store.insert(make_run(11, target="bob", **_by("alice")))
    with pytest.raises(RateLimitedError):
        limits.check(_attempt())
    # A preview changes nothing: it is not held back by a full limit either.
    limits.check(replace(_attempt(), check_mode=True))


def test_one_requester_cannot_use_up_a_target_alone(database: Database) -> None:
    store = RunStore(database)
    limits = _limits(database, per_target_hour=3, per_target_requester_hour=2)
    store.insert(make_run(1, target="bob", **_by("alice"), **_age(30)))
    store.insert(make_run(2, target="bob", **_by("alice"), **_age(10)))
    with pytest.raises(RateLimitedError) as share:
        limits.check(_attempt(by="alice"))
    assert share.value.details["limit"] == "target_requester"
    # alice's share is used up, the target is not: bob's helpdesk colleague still works.
    limits.check(_attempt(by="dave"))
    store.insert(make_run(3, target="bob", **_by("dave")))
    with pytest.raises(RateLimitedError) as full:
        limits.check(_attempt(by="erin"))
    details = full.value.details
    assert details["limit"] == "target"
    assert details["scope"] == {"customer": "acme", "target": "bob"}
    # Whose runs fill it, so the person held back knows whom to ask.
    assert details["used_by"] == [
        {"requested_by": "alice", "requester_id": "test:alice", "runs": 2},
        {"requested_by": "dave", "requester_id": "test:dave", "runs": 1},
    ]


def test_a_429_says_which_limit_who_and_when_it_frees(database: Database) -> None:
    store = RunStore(database)
    limits = _limits(database, per_requester_hour=2)
    store.insert(make_run(1, target="x", **_by("alice"), **_age(50)))
    store.insert(make_run(2, target="y", **_by("alice"), **_age(5)))
    before = utcnow()
    with pytest.raises(RateLimitedError) as hit:
        limits.check(_attempt(target="z"))
    details = hit.value.details
    assert details["limit"] == "requester"
    assert details["scope"] == {"requester": "test:alice"}
    assert details["used_by"] == [
        {"requested_by": "alice", "requester_id": "test:alice", "runs": 2}
    ]
    assert (details["max_runs"], details["window_s"]) == (2, 3600)
    frees_at = datetime.fromisoformat(details["frees_at"])
    # The run of 50 minutes ago leaves the window in 10 minutes: the moment and the
    # seconds agree.
    assert abs((frees_at - (before + timedelta(minutes=10))).total_seconds()) < 5
    assert abs((frees_at - before).total_seconds() - hit.value.retry_after_s) < 5
    message = hit.value.message
    assert "alice" in message and details["frees_at"][:16] in message


def test_the_action_breaker_names_only_the_attempts_customer(database: Database) -> None:
    store = RunStore(database)
    limits = _limits(database, per_action_minute=3)
    store.insert(make_run(1, **_by("alice")))
    store.insert(make_run(2, **_by("zed"), customer="globex"))
    store.insert(make_run(3, **_by("zed"), customer="globex"))
    with pytest.raises(RateLimitedError) as hit:
        limits.check(_attempt(by="bob"))
    details = hit.value.details
    assert details["limit"] == "action"
    # Another customer's agents are no business of this caller: counted, not named.
    assert details["used_by"] == [
        {"requested_by": "alice", "requester_id": "test:alice", "runs": 1}
    ]
    assert details["others"] == 2


def test_a_clear_restarts_counting_for_its_scope_in_every_process(database: Database) -> None:
    store = RunStore(database)
    values = {"per_requester_hour": 2, "per_target_hour": 3, "per_target_requester_hour": 2}
    limits = _limits(database, **values)
    for n in range(2):
        store.insert(make_run(n, target="bob", **_by("alice"), **_age(5)))
    with pytest.raises(RateLimitedError):
        limits.check(_attempt(target="bob"))
    limits.clear(LimitClearCreate(limit="target", customer="acme", target="bob"), "root")
    # Another process (a new RateLimits on the same store) sees the clear too.
    other = _limits(database, **values)
    # The target is free again; alice's own hour is not (another scope).
    with pytest.raises(RateLimitedError) as still:
        other.check(_attempt(target="bob"))
    assert still.value.details["limit"] == "requester"
    other.clear(
        LimitClearCreate(limit="requester", requester="test:alice", reason="a demo"), "root"
    )
    other.check(_attempt(target="bob"))
    # Counting starts after the clear: new runs count again.
    for n in range(2):
        store.insert(make_run(10 + n, target="bob", **_by("alice")))
    with pytest.raises(RateLimitedError) as again:
        limits.check(_attempt(target="bob"))
    assert {r["requested_by"] for r in again.value.details["used_by"]} == {"alice"}
    assert datetime.fromisoformat(again.value.details["counted_since"]) > utcnow() - timedelta(
        minutes=1
    )


def test_a_clear_is_audited(h: Harness) -> None:
    audit = h.store.audit
    assert isinstance(audit, AuditLog)
    limits = RateLimits(h.db, 1, 1, 0, audit=audit)
    scope = LimitClearCreate(limit="target", customer="acme", target="bob", reason="why")
    limits.clear(scope, "root")
    with h.db.session() as session:
        rows = session.execute(
            text("SELECT actor, customer, target, data FROM audit_records WHERE type = :t"),
            {"t": "rate_limit.cleared"},
        ).all()
    assert len(rows) == 1 and rows[0].actor == "root" and rows[0].target == "bob"
    assert "why" in str(rows[0].data)


@pytest.mark.parametrize(
    "scope",
    [
        {"limit": "requester"},
        {"limit": "requester", "requester": "a", "customer": "acme"},
        {"limit": "target", "customer": "acme"},
        {"limit": "action", "action": "x", "target": "bob"},
    ],
)
def test_a_clear_names_exactly_its_scope(scope: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        LimitClearCreate.model_validate(scope)
