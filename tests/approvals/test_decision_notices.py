"""The requester of a held run is told of the decision by mail, where a mail server is
configured and the directory gave them an address at login: the notice goes through the
notification outbox to a real SMTP server (aiosmtpd), and holds no secret of the run."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from runner_api.approvals.models import Approval
from runner_api.approvals.notices import DecisionNotices
from runner_api.approvals.service import ApprovalService
from runner_api.auth.models import WebSession
from runner_api.auth.principal import Role
from runner_api.notify.models import Notification
from runner_api.notify.relay import Relay
from runner_api.notify.transport import SmtpTransport
from runner_api.outbox.relay import Retry
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.settings import Settings
from runner_api.types import utcnow
from tests.approvals.conftest import CANARY, Harness, person
from tests.plugins.mail import MailSink

GUID = "6f1c0a52-94b1-4c0e-9a55-0c1d6c7e2b10"
ALICE = f"agent:{GUID}"


def _logged_in(h: Harness, mail: str | None, later_s: int = 0) -> None:
    """Alice signed in: her session row keeps the directory's `mail` of then."""
    now = utcnow() + timedelta(seconds=later_s)
    row = WebSession(
        id=f"hash-{GUID}-{later_s}",
        username="alice.agent",
        user_guid=GUID.upper(),  # as the directory spells it; ids are lower case
        user_dn="CN=Alice Agent,OU=Helpdesk Staff,DC=lab,DC=test",
        mail=mail,
        roles=["agent"],
        customers=["acme"],
        created_at=now,
        last_seen_at=now,
        roles_checked_at=now,
    )
    with h.db.session() as session:
        session.add(row)


def _held(h: Harness, requester_id: str = ALICE) -> str:
    params = {"account": "bob", "secret": CANARY}
    request = RunRequest(
        "acme", "INC-2", "vpn_grant", params, "alice.agent", Channel.API, requester_id
    )
    return h.runs.start_run(request).id


@pytest.fixture
def relay(h: Harness, sink: MailSink, tmp_path: Path) -> Relay:
    smtp = Settings(
        data_dir=tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",  # type: ignore[arg-type]
        smtp_timeout_s=5,
    )
    return Relay(h.db, h.store.audit, SmtpTransport(smtp), "fixline@lab.test", Retry(3, 0.1, 30))


def _service(h: Harness, mailing: bool = True) -> ApprovalService:
    notices = DecisionNotices(h.db, mailing, handover_s=300, kick=lambda: None)
    return ApprovalService(h.store, h.runs, h.approvals.gate, notices)


def _notices(h: Harness) -> list[Notification]:
    with h.db.session() as session:
        return list(session.scalars(select(Notification)))


def test_the_requester_is_mailed_the_approval(h: Harness, relay: Relay, sink: MailSink) -> None:
    _logged_in(h, "alice.agent@lab.test")
    run_id = _held(h)
    _service(h).approve(run_id, person("bob"), "callback done")
    assert relay.deliver_due() == 1
    (mail,) = sink.wait_for(1)
    assert mail.rcpt_tos == ("alice.agent@lab.test",)
    assert mail.message["Subject"] == "Approved: vpn_grant on bob (ticket INC-2)"
    assert mail.message["X-Fixline-Run"] == run_id
    assert "Your request vpn_grant on bob was approved by bob." in mail.words
    assert "open the run, and you have 5 minutes from then to take it, once" in mail.words
    assert "Comment: callback done" in mail.words
    assert CANARY.encode() not in mail.raw
    (row,) = _notices(h)
    assert (row.kind, row.audience, row.status) == ("approval.approved", "requester", "sent")


def test_the_requester_is_mailed_the_rejection_and_why(
    h: Harness, relay: Relay, sink: MailSink
) -> None:
    _logged_in(h, "alice.agent@lab.test")
    run_id = _held(h)
    _service(h).reject(run_id, person("bob"), "no VPN for contractors")
    assert relay.deliver_due() == 1
    (mail,) = sink.wait_for(1)
    assert mail.message["Subject"] == "Rejected: vpn_grant on bob (ticket INC-2)"
    assert "was rejected by bob. Nothing of it ran." in mail.words
    assert "Comment: no VPN for contractors" in mail.words
    assert CANARY.encode() not in mail.raw


def test_no_mail_without_an_address_or_a_mail_server(h: Harness) -> None:
    # An address, but no mail server configured.
    _logged_in(h, "alice.agent@lab.test")
    _service(h, mailing=False).reject(_held(h), person("bob"), "no")
    # A token's run: no directory address at all.
    _service(h).approve(_held(h, "test:carol"), person("bob"), None)
    # The address went from the account: her latest login had none.
    _logged_in(h, None, later_s=60)
    _service(h).reject(_held(h), person("bob"), "no")
    assert _notices(h) == []


def test_the_requesters_page_lists_their_own_decided_runs_only(h: Harness) -> None:
    approved, rejected, pending = _held(h), _held(h), _held(h)
    carols = _held(h, "test:carol")
    service = _service(h, mailing=False)
    service.approve(approved, person("bob"), "ok")
    service.reject(rejected, person("bob"), "no")
    service.reject(carols, person("bob"), "no")
    alice = replace(person("alice.agent", Role.AGENT), id=ALICE)
    decided = service.decided_for(alice, 3600)
    assert [(a.run_id, a.status) for a, _ in decided] == [
        (rejected, "rejected"),
        (approved, "approved"),
    ]
    assert pending not in {a.run_id for a, _ in decided}
    with h.db.session() as session:
        session.execute(update(Approval).values(decided_at=utcnow() - timedelta(seconds=3601)))
    assert service.decided_for(alice, 3600) == []
