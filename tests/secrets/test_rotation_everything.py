"""rotate-key re-seals every sealed column: each pending thing still completes afterwards.

One of each: a credential, an unread reveal, a pending approval, a queued site job, an
accepted webhook delivery not started yet, and a queued run's sealed job. The rotation is
the operator's command; the services of a new process (the new key) then finish each one.
A second test fails when a table gains a sealed column that the registry does not list.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import LargeBinary, update
from typer.testing import CliRunner

from runner_api.auth.principal import AuthMethod, Principal, Role
from runner_api.cli import app
from runner_api.core import Core
from runner_api.database import Base
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import MailboxCredential
from runner_api.settings import Settings
from runner_api.webhooks.deliveries import Received
from runner_api.webhooks.queued import QueuedRun
from tests.secrets.apps import settings_without_lab
from tests.secrets.canary import canary

# The owner of a run queued by a process that has died since (no such pid runs here).
GONE = "elsewhere:4194999:1"


def _env(settings: Settings) -> dict[str, str]:
    return {
        "FIXLINE_DATA_DIR": str(settings.data_dir),
        "FIXLINE_PROJECT_DIR": str(settings.project_dir),
        "FIXLINE_CREDENTIALS_DIR": str(settings.credentials_dir),
    }


def _smoke(ticket_id: str, secret: str, by: str = "alice") -> RunRequest:
    params = {"host": "lab-host", "secret": secret}
    return RunRequest("lab", ticket_id, "smoke_check", params, by, Channel.API, f"test:{by}")


def _person(name: str) -> Principal:
    return Principal(
        name=name,
        roles=frozenset({Role.SENIOR_AGENT}),
        method=AuthMethod.TOKEN,
        id=f"test:{name}",
        person=f"test:{name}",
    )


def test_rotation_keeps_every_pending_secret_usable(tmp_path: Path) -> None:
    settings = settings_without_lab(
        tmp_path,
        rate_limit_requester_per_hour=0,
        rate_limit_target_per_hour=0,
        rate_limit_action_per_minute=0,
    )
    secrets = {name: canary(name) for name in ("mailbox", "reveal", "queued", "site", "hook")}
    before = Core(settings)
    before.open_store()  # no workers: everything stays pending
    before.credentials.store_mailbox_credential(
        "lab", MailboxCredential("svc", SecretStr(secrets["mailbox"]))
    )
    queued = before.runs.start_run(_smoke("INC-1", secrets["queued"]))
    reveal_id = before.reveals.create(queued.id, "alice", "test:alice", secrets["reveal"])
    held = before.runs.start_run(
        RunRequest(
            "lab", "INC-2", "vpn_grant", {"username": "jdoe"}, "alice", Channel.API, "test:alice"
        )
    )
    assert held.status == RunStatus.AWAITING_APPROVAL
    site_request = _smoke("INC-3", secrets["site"])
    site_run = before.runs.start_run(site_request)
    sealable = before.runs.check(site_request).sealable
    assert before.site_jobs.add(site_run.id, "branch", sealable, None)
    hook = QueuedRun(
        "lab",
        "INC-4",
        "smoke_check",
        "lab-host",
        "webhook:generic",
        Channel.WEBHOOK,
        "rule",
        {"host": "lab-host", "secret": "********"},
    )
    received = Received("generic", "key-1", hashlib.sha256(b"{}").hexdigest(), 1, "v2")
    answer, first = before.deliveries.accept(
        received,
        hook,
        {"host": "lab-host", "secret": secrets["hook"]},
    )
    assert first
    # The process that queued the run died: a new one must start it from its sealed job.
    with before.db.session() as session:
        session.execute(update(Run).where(Run.id == queued.id).values(worker=GONE))
    before.stop()

    rotated = CliRunner().invoke(app, ["secrets", "rotate-key", "--by", "ops"], env=_env(settings))
    assert rotated.exit_code == 0, rotated.output

    after = Core(settings)
    after.open_store()
    assert after.secret_key.id != before.secret_key.id
    mailbox = after.credentials.mailbox_credential("lab")
    assert mailbox.password.get_secret_value() == secrets["mailbox"]
    assert after.reveals.consume(reveal_id, "alice", "test:alice") == secrets["reveal"]
    approved = after.approvals.approve(held.id, _person("bob"), "checked")
    assert approved.status == RunStatus.QUEUED
    params, _ = after.site_jobs.params(site_run.id)
    assert params["secret"] == secrets["site"]
    assert after.webhook_starter.start_due() == 1
    started = after.runs.get_run(answer.body["run_id"])
    assert started.status == RunStatus.QUEUED, started.error
    job = after.runs.resumed_job(after.store.get(queued.id))
    assert job.params["secret"] == secrets["queued"]
    after.stop()


def test_every_sealed_column_is_registered_for_rotation() -> None:
    """A binary column is a sealed one here: a new one must be added to the registry."""
    from runner_api.core import sealed_columns

    binary = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    registered = {sealed.name for sealed in sealed_columns()}
    # The key check value is re-sealed by the rotation itself, as its proof of the key.
    assert binary - registered == {"secret_key_check.sealed"}
    assert registered <= binary
