"""Accepted deliveries are answered first and started from the delivery table afterwards,
under the run id the sender got: refused at start, after a crash, or with a secret in their
parameters (which is never stored in clear). In process, on SQLite and PostgreSQL; the
starter's thread is not running, so each test starts what is due itself."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from runner_api.core import Core
from runner_api.database import Base
from runner_api.errors import RunNotFoundError
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.secrets.redactor import MASK
from runner_api.webhooks.deliveries import Answer
from runner_api.webhooks.models import WebhookDelivery
from runner_api.webhooks.queued import open_params
from tests.webhooks.hooks import hook_settings, verified


def accept(core: Core, payload: dict[str, Any], key: str) -> Answer:
    return core.webhooks.accept(verified(core, key, payload))


def unlock(username: str, ticket_id: str = "HOOK-1") -> dict[str, Any]:
    return {
        "customer": "lab",
        "ticket_id": ticket_id,
        "action": "account_unlock",
        "params": {"username": username},
    }


def delivery_row(core: Core, key: str) -> WebhookDelivery:
    with core.db.session() as session:
        row = session.scalars(select(WebhookDelivery).where(WebhookDelivery.key == key)).one()
    return row


def test_the_answer_comes_first_and_the_run_gets_the_id_it_announced(hook_core: Core) -> None:
    answer = accept(hook_core, unlock("anna"), "delivery-before-start")
    assert answer.status_code == 202
    assert answer.body["status"] == "accepted"
    run_id = answer.body["run_id"]
    with pytest.raises(RunNotFoundError):
        hook_core.runs.get_run(run_id)
    assert delivery_row(hook_core, "delivery-before-start").status == "accepted"

    assert hook_core.webhook_starter.start_due() == 1
    run = hook_core.runs.get_run(run_id)
    assert (run.action, run.ticket_id, run.params, run.channel, run.status) == (
        "account_unlock",
        "HOOK-1",
        {"username": "anna"},
        "webhook",
        "queued",
    )
    assert run.requested_by == "webhook:generic"
    row = delivery_row(hook_core, "delivery-before-start")
    assert (row.status, row.run_id, row.request, row.sealed_params) == (
        "started",
        run_id,
        None,
        None,
    )
    # A replay is answered as the first copy was, and starts nothing more.
    assert accept(hook_core, unlock("anna"), "delivery-before-start") == answer
    assert hook_core.webhook_starter.start_due() == 0


def test_refusals_at_start_are_recorded_runs_with_the_announced_ids(
    tmp_path: Path, sources_file: Path, database_url: str
) -> None:
    settings = hook_settings(
        tmp_path / "data",
        sources_file,
        database_url=database_url,
        rate_limit_action_per_minute=1,
    )
    core = Core(settings)
    core.open_store()
    try:
        first = accept(core, unlock("anna", "HOOK-10"), "delivery-limit-1")
        limited = accept(core, unlock("bob", "HOOK-11"), "delivery-limit-2")
        restart = {
            "customer": "lab",
            "ticket_id": "HOOK-12",
            "action": "service_restart",
            "params": {"host": "lab-host", "unit": "sshd"},  # valid, but not allow-listed
        }
        policy = accept(core, restart, "delivery-policy-1")
        assert {a.status_code for a in (first, limited, policy)} == {202}
        assert core.webhook_starter.start_due() == 3
        runs = {
            name: core.runs.get_run(answer.body["run_id"])
            for name, answer in [("first", first), ("limited", limited), ("policy", policy)]
        }
        rows = {
            key: delivery_row(core, key)
            for key in ("delivery-limit-1", "delivery-limit-2", "delivery-policy-1")
        }
    finally:
        core.stop()
    assert runs["first"].status == "queued"
    assert runs["limited"].status == "refused"
    assert "too many runs" in (runs["limited"].error or "")
    assert (runs["limited"].ticket_id, runs["limited"].params) == ("HOOK-11", {"username": "bob"})
    assert runs["policy"].status == "refused"
    assert "allow-list" in (runs["policy"].error or "")
    assert rows["delivery-limit-1"].status == "started"
    for key, run in [("delivery-limit-2", runs["limited"]), ("delivery-policy-1", runs["policy"])]:
        assert (rows[key].status, rows[key].reason, rows[key].status_code) == (
            "refused",
            run.error,
            202,
        )


def test_deliveries_accepted_before_a_crash_are_started_once_after_it(
    tmp_path: Path, sources_file: Path, database_url: str
) -> None:
    settings = hook_settings(tmp_path / "data", sources_file, database_url=database_url)
    before = Core(settings)
    before.open_store()
    waiting = accept(before, unlock("anna", "HOOK-20"), "delivery-crash-1")
    recorded = accept(before, unlock("bob", "HOOK-21"), "delivery-crash-2")
    # The second one's run was recorded, then the process died before marking its row.
    before.runs.start_run(
        RunRequest(
            "lab",
            "HOOK-21",
            "account_unlock",
            {"username": "bob"},
            "webhook:generic",
            Channel.WEBHOOK,
            "webhook:generic",
        ),
        run_id=recorded.body["run_id"],
    )
    before.stop()

    after = Core(settings)
    after.open_store()
    try:
        assert after.webhook_starter.start_due() == 2
        assert after.webhook_starter.start_due() == 0
        with after.db.connection() as connection:
            runs = connection.execute(
                text("SELECT id, ticket_id FROM runs ORDER BY ticket_id")
            ).all()
        statuses = [
            delivery_row(after, key).status for key in ("delivery-crash-1", "delivery-crash-2")
        ]
    finally:
        after.stop()
    assert [tuple(r) for r in runs] == [
        (waiting.body["run_id"], "HOOK-20"),
        (recorded.body["run_id"], "HOOK-21"),
    ]
    assert statuses == ["started", "started"]


def test_a_secret_parameter_is_sealed_until_start_and_never_stored_in_clear(
    hook_core: Core, database_url: str
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    payload = {
        "customer": "lab",
        "ticket_id": "HOOK-30",
        "action": "smoke_check",
        "params": {"host": "lab-host", "secret": canary},
    }
    answer = accept(hook_core, payload, "delivery-secret-1")
    assert answer.status_code == 202
    row = delivery_row(hook_core, "delivery-secret-1")
    assert row.request is not None and row.request["masked_params"]["secret"] == MASK
    assert row.sealed_params is not None
    assert open_params(hook_core.deliveries.box, row.id, row.sealed_params)["secret"] == canary
    assert canary not in stored_text(hook_core)

    assert hook_core.webhook_starter.start_due() == 1
    assert hook_core.runs.get_run(answer.body["run_id"]).params["secret"] == MASK
    row = delivery_row(hook_core, "delivery-secret-1")
    # Started (or refused, should the playbook be unvetted right now): either way wiped.
    assert row.status != "accepted"
    assert (row.request, row.sealed_params) == (None, None)
    assert canary not in stored_text(hook_core)
    if database_url.startswith("sqlite"):
        db_path = Path(database_url.split("///", 1)[1])
        files = list(db_path.parent.glob(db_path.name + "*"))  # with -wal and -shm
        assert files
        assert not [path for path in files if canary.encode() in path.read_bytes()]


def stored_text(core: Core) -> str:
    """Every row of every table, as text."""
    with core.db.connection() as connection:
        return "\n".join(
            repr(row)
            for table in Base.metadata.sorted_tables
            for row in connection.execute(table.select()).all()
        )
