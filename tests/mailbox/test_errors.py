"""Every injected EWS failure becomes a clear failed run, in bounded time, never a hang."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from lab.ews import Fault
from lab.ews.accounts import SimulatorAccounts
from runner_api.accounts import AccountGuard
from runner_api.customers.models import Customer
from runner_api.mailbox import EwsMailbox, MailboxExecutor
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import MailboxCredential
from tests.mailbox.conftest import ANNA, SERVICE, Run, assert_impersonated, operations
from tests.plugins.mailbox_lab import MailboxLabHandle
from tests.plugins.server import free_port


def _oof(make_run: Callable[..., Run], **changes: object) -> Run:
    return make_run("mailbox_oof_set", mailbox=ANNA, internal_message="Out", **changes)


class AccountWithoutMailbox(SimulatorAccounts):
    """The directory has an account for nobody@lab.test; Exchange has no mailbox for it."""

    def owner_of(self, customer: Customer, address: str) -> str | None:
        return "nobody" if address == "nobody@lab.test" else super().owner_of(customer, address)


def test_unknown_mailbox(
    sim: MailboxLabHandle, gateway: EwsMailbox, make_run: Callable[..., Run]
) -> None:
    executor = MailboxExecutor(gateway, AccountGuard(AccountWithoutMailbox(sim.simulator)))
    outcome = executor.execute(make_run("mailbox_info", mailbox="nobody@lab.test").ctx)
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "no mailbox 'nobody@lab.test' in Exchange"
    assert_impersonated(sim.requests, "nobody@lab.test")
    assert len(sim.requests) == 1


def test_access_denied(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.denied.add((SERVICE, ANNA))
    outcome = executor.execute(_oof(make_run).ctx)
    assert outcome.status is RunStatus.FAILED
    assert "access to 'anna.schmidt@lab.test' was denied (ErrorAccessDenied)" in (
        outcome.error or ""
    )
    assert sim.state.mailboxes[ANNA].oof.state == "Disabled"
    assert_impersonated(sim.requests, ANNA)


def test_impersonation_refused(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    del sim.state.impersonators[SERVICE]
    outcome = executor.execute(_oof(make_run).ctx)
    assert outcome.status is RunStatus.FAILED
    assert "ApplicationImpersonation" in (outcome.error or "")
    assert "ErrorImpersonateUserDenied" in (outcome.error or "")
    assert len(sim.requests) == 1
    assert_impersonated(sim.requests, ANNA)


def test_impersonation_outside_the_role_scope_is_refused(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    # contoso's service account may impersonate @contoso.test only.
    other = sim.customer("contoso", accepted_domains=("contoso.test", "lab.test"))
    outcome = executor.execute(make_run("mailbox_info", customer=other, mailbox=ANNA).ctx)
    assert outcome.status is RunStatus.FAILED
    assert "ErrorImpersonateUserDenied" in (outcome.error or "")


@pytest.mark.parametrize("how", ["wrong password", "injected 401"])
def test_wrong_service_credentials_are_never_retried(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run], how: str
) -> None:
    if how == "wrong password":
        sim.credentials.store_mailbox_credential(
            "lab", MailboxCredential(SERVICE, SecretStr("not-the-password"))
        )
    else:
        sim.state.fail(Fault("http", status=401))
    outcome = executor.execute(_oof(make_run).ctx)
    assert outcome.status is RunStatus.FAILED
    assert "rejected the service account's login" in (outcome.error or "")
    assert "HTTP 401" in (outcome.error or "")
    assert len(sim.requests) == 1
    assert "not-the-password" not in repr(outcome)


def test_busy_is_retried_once_after_the_servers_back_off(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("ews", "ErrorServerBusy", back_off_ms=300, operation="SetUserOofSettings"))
    run = _oof(make_run)
    started = time.monotonic()
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert time.monotonic() - started >= 0.3
    assert operations(sim.requests) == [
        "GetUserOofSettings", "SetUserOofSettings", "SetUserOofSettings",
    ]  # fmt: skip
    assert [event.data for event in run.events if event.kind == "busy"] == [{"wait_s": 0.3}]
    assert sim.state.mailboxes[ANNA].oof.state == "Enabled"
    assert_impersonated(sim.requests, ANNA)


def test_busy_twice_fails_after_one_retry(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("ews", "ErrorServerBusy", back_off_ms=100, times=5))
    outcome = executor.execute(_oof(make_run).ctx)
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "Exchange is busy (ErrorServerBusy); it asked to wait 0.1 s"
    assert operations(sim.requests) == ["GetUserOofSettings", "GetUserOofSettings"]


def test_busy_with_a_long_back_off_fails_at_once(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("ews", "ErrorServerBusy", back_off_ms=120_000))
    started = time.monotonic()
    outcome = executor.execute(_oof(make_run).ctx)
    assert time.monotonic() - started < 2
    assert outcome.status is RunStatus.FAILED
    assert "it asked to wait 120 s" in (outcome.error or "")
    assert len(sim.requests) == 1


@pytest.mark.parametrize("kind", ["hang", "drop"])
def test_dead_socket_fails_in_bounded_time(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run], kind: str
) -> None:
    sim.state.fail(Fault(kind, operation="SetUserOofSettings"))
    customer = sim.customer(timeout_s=1.0)
    started = time.monotonic()
    outcome = executor.execute(_oof(make_run, customer=customer).ctx)
    elapsed = time.monotonic() - started
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("outcome unknown: Exchange unreachable: no answer from")
    assert outcome.details == {"outcome_unknown": True, "backend": "ews"}
    assert elapsed < 4, elapsed
    # Not retried: a write that may have reached a dead server is not sent twice.
    assert operations(sim.requests) == ["GetUserOofSettings", "SetUserOofSettings"]


def test_connection_refused_is_unreachable(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx"
    run = make_run("mailbox_info", customer=sim.customer(ews_url=closed), mailbox=ANNA)
    started = time.monotonic()
    outcome = executor.execute(run.ctx)
    assert time.monotonic() - started < 3
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == (
        f"Exchange unreachable: no answer from {closed} within 5 s "
        "(connection refused, dropped or too slow)"
    )


def test_other_ews_errors_name_their_code(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("response", "ErrorMailboxStoreUnavailable"))
    outcome = executor.execute(_oof(make_run).ctx)
    assert outcome.status is RunStatus.FAILED
    assert "ErrorMailboxStoreUnavailable" in (outcome.error or "")


def test_busy_during_a_permission_write_is_retried_and_applied_once(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("ews", "ErrorServerBusy", back_off_ms=50, operation="UpdateFolder"))
    run = make_run("mailbox_folder_permission_grant", mailbox=ANNA, folder="inbox",
                   user="ben.carter@lab.test", level="Editor")  # fmt: skip
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    acl = sim.state.mailboxes[ANNA].folders["inbox"].permissions
    assert [p.level for p in acl if p.user == "ben.carter@lab.test"] == ["Editor"]


def test_cancel_and_deadline_stop_before_any_request(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    canceled = _oof(make_run)
    canceled.ctx.cancel_requested.set()
    assert executor.execute(canceled.ctx).status is RunStatus.CANCELED
    late = _oof(make_run, timeout_s=0)
    assert executor.execute(late.ctx).status is RunStatus.TIMED_OUT
    assert sim.requests == []


def test_cancel_during_the_busy_back_off(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    sim.state.fail(Fault("ews", "ErrorServerBusy", back_off_ms=10_000))
    run = _oof(make_run)
    run.ctx.emit = lambda event: run.ctx.cancel_requested.set() if event.kind == "busy" else None
    started = time.monotonic()
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.CANCELED
    assert time.monotonic() - started < 2
    assert len(sim.requests) == 1
