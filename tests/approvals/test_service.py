"""Held runs on a real store: rules, sealed parameters, decisions, expiry, audit records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from runner_api.approvals.models import Approval, ApprovalStatus
from runner_api.approvals.service import ApprovalClosedError, ApprovalNotFoundError
from runner_api.auth.errors import PermissionDeniedError
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.status import RunStatus
from runner_api.types import utcnow
from tests.approvals.conftest import CANARY, Harness, person

VERIFIED = {"method": "callback", "note": "called back on the number on record"}


def _reset(username: str, by: str = "alice", **extra: Any) -> RunRequest:
    params = {"username": username, "caller_verification": VERIFIED}
    return RunRequest(
        "acme", "INC-1", "password_reset", params, by, Channel.API, f"test:{by}", **extra
    )


def _vpn(by: str = "alice") -> RunRequest:
    params = {"account": "bob", "secret": CANARY}
    return RunRequest("acme", "INC-2", "vpn_grant", params, by, Channel.API, f"test:{by}")


def _rules(run: Run) -> list[str]:
    return [reason["rule"] for reason in run.details["approval"]["reasons"]]


def _everything_stored(h: Harness) -> str:
    """Every row of the tables a held run touches, as text (sealed bytes included)."""
    with h.db.session() as session:
        rows = [
            session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608  (fixed names)
            for table in ("runs", "approvals", "audit_records")
        ]
    return repr(rows)


def _audit_types(h: Harness, run_id: str) -> list[str]:
    with h.db.session() as session:
        query = text("SELECT type FROM audit_records WHERE run_id = :id ORDER BY seq")
        return list(session.scalars(query, {"id": run_id}))


def test_vip_reset_waits_with_its_reason_and_nothing_is_dispatched(h: Harness) -> None:
    run = h.runs.start_run(_reset("maria.rossi"))
    assert run.status == RunStatus.AWAITING_APPROVAL
    assert _rules(run) == ["vip_user"]
    assert h.dispatcher.submitted == []
    assert _audit_types(h, run.id) == ["run.requested", "approval.requested"]
    # An ordinary account runs at once.
    assert h.runs.start_run(_reset("henry.moreau")).status == RunStatus.QUEUED


def test_second_reset_of_an_account_within_the_window_waits(h: Harness) -> None:
    first = h.runs.start_run(_reset("henry.moreau"))
    assert first.status == RunStatus.QUEUED
    # Another agent, another spelling of the same account: still the same account.
    second = h.runs.start_run(_reset("Henry.Moreau", by="bob"))
    assert second.status == RunStatus.AWAITING_APPROVAL
    assert _rules(second) == ["repeat_reset"]


def test_refused_rejected_and_dry_runs_do_not_count_as_an_earlier_reset(h: Harness) -> None:
    dry = h.runs.start_run(_reset("henry.moreau", check_mode=True))
    assert dry.status == RunStatus.QUEUED
    held = h.runs.start_run(_reset("maria.rossi"))
    h.approvals.reject(held.id, person("sara"), "not verified well enough")
    assert h.runs.start_run(_reset("henry.moreau")).status == RunStatus.QUEUED
    again = h.runs.start_run(_reset("maria.rossi"))
    assert _rules(again) == ["vip_user"]  # no repeat_reset: the earlier one was rejected


def test_a_run_with_several_reasons_records_all(h: Harness) -> None:
    h.runs.start_run(_reset("maria.rossi"))
    second = h.runs.start_run(_reset("maria.rossi", by="bob"))
    assert _rules(second) == ["vip_user", "repeat_reset"]


def test_secrets_wait_sealed_and_are_wiped_once_approved(h: Harness) -> None:
    run = h.runs.start_run(_vpn())
    assert run.status == RunStatus.AWAITING_APPROVAL and _rules(run) == ["vpn_grant"]
    assert CANARY not in _everything_stored(h)
    approval = h.approvals.gate.find(run.id)
    assert approval is not None and approval.sealed_params is not None
    # Bound to its row: moved to another run id, it does not open.
    moved = Approval(run_id="other", sealed_params=approval.sealed_params)
    with pytest.raises(Exception, match="moved to another row"):
        h.approvals.gate.unseal(moved)

    approved = h.approvals.approve(run.id, person("sara"), "checked with the manager")
    assert approved.status == RunStatus.QUEUED
    assert approved.details["approval"]["decided_by"] == "sara"
    [job] = h.dispatcher.submitted
    assert job.params["secret"] == CANARY and job.approved_by == "sara"
    assert job.redactor.text(f"x {CANARY} y") == "x ******** y"
    decided = h.approvals.gate.find(run.id)
    assert decided is not None and decided.sealed_params is None
    assert decided.status == ApprovalStatus.APPROVED and decided.decided_by == "sara"
    assert CANARY not in _everything_stored(h)
    assert _audit_types(h, run.id)[-2:] == ["run.queued", "approval.approved"]


def test_reject_ends_the_run_and_wipes_the_secrets(h: Harness) -> None:
    run = h.runs.start_run(_vpn())
    rejected = h.approvals.reject(run.id, person("sara"), "no ticket for VPN access")
    assert rejected.status == RunStatus.REJECTED
    assert rejected.error == "rejected by sara: no ticket for VPN access"
    assert rejected.finished_at is not None
    assert h.dispatcher.submitted == []
    decided = h.approvals.gate.find(run.id)
    assert decided is not None and decided.sealed_params is None
    assert decided.status == ApprovalStatus.REJECTED
    assert _audit_types(h, run.id)[-2:] == ["run.rejected", "approval.rejected"]
    with pytest.raises(ApprovalClosedError):
        h.approvals.approve(run.id, person("sam"), None)


def test_requester_never_decides_and_the_attempt_is_audited(h: Harness) -> None:
    run = h.runs.start_run(_vpn(by="sam"))
    with pytest.raises(PermissionDeniedError):
        h.approvals.approve(run.id, person("sam"), None)
    with pytest.raises(PermissionDeniedError):
        h.approvals.reject(run.id, person("sam"), "withdrawn")
    assert h.store.get(run.id).status == RunStatus.AWAITING_APPROVAL
    assert _audit_types(h, run.id)[-2:] == ["approval.denied", "approval.denied"]


def test_other_customers_approvals_do_not_exist_for_the_caller(h: Harness) -> None:
    run = h.runs.start_run(_vpn())
    outsider = person("olga", customers=["contoso"])
    with pytest.raises(ApprovalNotFoundError):
        h.approvals.approve(run.id, outsider, None)
    assert h.approvals.pending(frozenset({"contoso"}), 10) == []
    assert [a.run_id for a, _ in h.approvals.pending(frozenset({"acme"}), 10)] == [run.id]
    assert [a.run_id for a, _ in h.approvals.pending(None, 10)] == [run.id]


def test_overdue_approvals_expire_into_rejected_runs(h: Harness) -> None:
    overdue, fresh = h.runs.start_run(_vpn()), h.runs.start_run(_reset("maria.rossi"))
    with h.db.session() as session:
        session.execute(
            update(Approval)
            .where(Approval.run_id == overdue.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert h.approvals.expire_overdue() == [overdue.id]
    assert h.approvals.expire_overdue() == []
    ended = h.store.get(overdue.id)
    assert ended.status == RunStatus.REJECTED and "expired" in (ended.error or "")
    expired = h.approvals.gate.find(overdue.id)
    assert expired is not None and expired.status == ApprovalStatus.EXPIRED
    assert expired.sealed_params is None
    assert _audit_types(h, overdue.id)[-2:] == ["run.rejected", "approval.expired"]
    assert h.store.get(fresh.id).status == RunStatus.AWAITING_APPROVAL
    with pytest.raises(ApprovalClosedError):
        h.approvals.approve(overdue.id, person("sara"), None)


def test_cancel_while_waiting_closes_the_approval(h: Harness) -> None:
    run = h.runs.start_run(_vpn())
    canceled = h.runs.cancel(run.id, "alice")
    assert canceled.status == RunStatus.CANCELED
    closed = h.approvals.gate.find(run.id)
    assert closed is not None and closed.status == ApprovalStatus.CANCELED
    assert closed.sealed_params is None
    with pytest.raises(ApprovalClosedError):
        h.approvals.approve(run.id, person("sara"), None)


def test_one_decision_wins(h: Harness) -> None:
    run = h.runs.start_run(_vpn())
    h.approvals.approve(run.id, person("sara"), None)
    with pytest.raises(ApprovalClosedError):
        h.approvals.reject(run.id, person("sam"), "too late")
    assert len(h.dispatcher.submitted) == 1
