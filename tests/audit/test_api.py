"""The /audit API (read-only), evidence pack and proof, SLA, exports, retention, reveals."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import replace
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from runner_api.api.errors import install_error_handlers
from runner_api.audit.log import AuditLog
from runner_api.auth.denials import DenialAudit
from runner_api.auth.tokens import TokenStore
from runner_api.database import Database
from runner_api.reports.evidence import verify_proof
from runner_api.reports.reader import AuditReader
from runner_api.reports.router import router
from runner_api.reveals.service import RevealService
from runner_api.routing.services import Services
from runner_api.runs.models import RunEvent
from runner_api.runs.retention import prune_run_events
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore, run_event
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from tests.runs.factories import make_run

_TOKEN = "audit-test-token-0123456789"


def _client(database: Database, audit: AuditLog) -> TestClient:
    app = FastAPI()
    tokens = TokenStore(database, audit)
    tokens.adopt_bootstrap(_TOKEN, ttl_s=600)
    # Only what the audit routes and authentication use: the routes get nothing else.
    app.state.services = Services(tokens, AuditReader(database, audit), DenialAudit(audit, 30))
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app, headers={"Authorization": f"Bearer {_TOKEN}"})


def _history(database: Database, audit: AuditLog) -> RunStore:
    store = RunStore(database, audit)
    for n in range(6):
        run = store.insert(make_run(n, ticket_id="INC-7" if n < 3 else "INC-8"))
        store.transition(run.id, RunStatus.RUNNING, started_at=utcnow())
        outcome = RunStatus.SUCCEEDED if n % 3 else RunStatus.FAILED
        store.transition(run.id, outcome, diff={"lockoutTime": ["1", "0"]}, summary="ok")
        store.add_event(RunEvent(run_id=run.id, seq=1, created_at=utcnow(), kind="line"))
    store.insert(make_run(9, status=RunStatus.REFUSED.value, finished_at=utcnow()))
    return store


def test_the_evidence_pack_shows_each_approval_step(database: Database, audit: AuditLog) -> None:
    # The pack said "approvals: []" for every run, approvals recorded or not.
    store = _history(database, audit)
    held = store.insert(make_run(20, ticket_id="INC-7", status=RunStatus.AWAITING_APPROVAL.value))
    vip = [{"rule": "vip_user"}]
    requested = run_event("approval.requested", held, "alice", "test:alice", reasons=vip)
    approved = run_event("approval.approved", held, "bob", "test:bob", comment="called back")
    with database.session() as session:
        audit.record(session, requested, replace(approved, outcome="approved"))
    audit.checkpoint("manual")
    client = _client(database, audit)
    pack = client.get("/audit/tickets/INC-7/evidence").json()
    (item,) = [i for i in pack["runs"] if i["run"]["id"] == held.id]
    assert [(s["step"], s["by"]) for s in item["approvals"]] == [
        ("requested", "alice"),
        ("approved", "bob"),
    ]
    assert item["approvals"][1]["comment"] == "called back"
    assert item["approvals"][0]["reasons"] == [{"rule": "vip_user"}]
    assert pack["proof_verified"] is True
    html = client.get("/audit/tickets/INC-7/evidence", params={"format": "html"}).text
    assert "approved by bob at" in html and "(called back)" in html


def test_no_route_changes_or_deletes() -> None:
    methods = {m for route in router.routes for m in getattr(route, "methods", set())}
    assert methods <= {"GET", "HEAD"}


def test_search_evidence_sla_export_verify(database: Database, audit: AuditLog) -> None:
    _history(database, audit)
    audit.checkpoint("manual")
    client = _client(database, audit)
    page = client.get("/audit/records", params={"ticket_id": "INC-7", "limit": 4}).json()
    assert len(page["items"]) == 4 and page["next_after_seq"] == page["items"][-1]["seq"]
    rest = client.get(
        "/audit/records", params={"ticket_id": "INC-7", "after_seq": page["next_after_seq"]}
    ).json()
    assert {r["ticket_id"] for r in page["items"] + rest["items"]} == {"INC-7"}
    assert len(page["items"] + rest["items"]) == 9  # requested, running, outcome x 3
    runs = client.get("/audit/runs", params={"agent": "tester", "status": "failed"}).json()
    assert [r["status"] for r in runs["items"]] == ["failed", "failed"]

    pack = client.get("/audit/tickets/INC-7/evidence").json()
    assert len(pack["runs"]) == 3 and pack["runs"][0]["before_after"] == {"lockoutTime": ["1", "0"]}
    assert pack["runs"][0]["events"] and pack["runs"][0]["approvals"] == []
    assert pack["proof_verified"] is True
    assert verify_proof(pack["chain_proof"], audit.signer.verifier)
    forged = json.loads(json.dumps(pack["chain_proof"]))
    forged["records"][0]["canonical"] = forged["records"][0]["canonical"].replace("tester", "x")
    assert not verify_proof(forged, audit.signer.verifier)
    page_html = client.get("/audit/tickets/INC-7/evidence", params={"format": "html"})
    assert page_html.headers["content-type"].startswith("text/html")
    assert "<script" not in page_html.text and "http" not in page_html.text
    assert "Chain proof" in page_html.text

    sla = {(f["action"], f["customer"]): f for f in client.get("/audit/sla").json()}
    figures = sla[("account_touch", "acme")]
    assert (figures["count"], figures["refusals"], figures["succeeded"]) == (7, 1, 4)
    assert figures["success_rate"] == round(4 / 6, 4)
    assert figures["p95_time_to_fix_s"] is not None

    lines = client.get("/audit/export", params={"ticket_id": "INC-8"}).text.splitlines()
    assert len(lines) == 9 and all(json.loads(line)["hash"] for line in lines)
    csv_text = client.get("/audit/export", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("seq,ts,type,actor")
    assert client.get("/audit/checkpoints").text.strip()
    assert "BEGIN PUBLIC KEY" in client.get("/audit/public-key").text
    verified = client.get("/audit/verify").json()
    # The runs' records, and the bootstrap token's creation (it is a stored token).
    assert verified["ok"] and verified["records"] == 20


def test_prune_is_audited_and_checkpointed(database: Database, audit: AuditLog) -> None:
    store = _history(database, audit)
    old = store.insert(make_run(20))
    store.add_event(
        RunEvent(run_id=old.id, seq=1, created_at=utcnow() - timedelta(days=100), kind="line")
    )
    result = prune_run_events(audit, 90, "retention-job")
    assert result.pruned == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(RunEvent)) == 6
    records = _client(database, audit).get("/audit/records", params={"type": "retention.pruned"})
    (pruned,) = records.json()["items"]
    assert pruned["data"]["rows"] == 1 and result.checkpoint is not None
    assert result.checkpoint.seq == pruned["seq"]
    store.insert(make_run(21))  # the chain continues across the prune
    assert _client(database, audit).get("/audit/verify").json()["ok"]


def test_reveal_consumed_is_recorded_without_the_value(database: Database, audit: AuditLog) -> None:
    run = RunStore(database, audit).insert(make_run(30))
    reveals = RevealService(database, SecretBox(secrets.token_bytes(32)), 300, audit=audit)
    reveal_id = reveals.create(run.id, "tester", "test:tester", "S3cret-Canary!")
    assert reveals.consume(reveal_id, "tester", "test:tester") == "S3cret-Canary!"
    items = _client(database, audit).get("/audit/records", params={"run_id": run.id}).json()
    consumed = [r for r in items["items"] if r["type"] == "reveal.consumed"]
    assert consumed and consumed[0]["actor"] == "tester"
    assert "S3cret-Canary!" not in json.dumps(items)


def test_evidence_shows_the_recorded_caller_verification(
    database: Database, audit: AuditLog
) -> None:
    store = RunStore(database, audit)
    verified = {"method": "callback", "note": "called back on the number in the HR record"}
    params = {"username": "jdoe", "caller_verification": verified}
    store.insert(make_run(1, ticket_id="INC-V", action="password_reset", params=params))
    store.insert(make_run(2, ticket_id="INC-V"))
    client = _client(database, audit)
    pack = client.get("/audit/tickets/INC-V/evidence").json()
    assert [r["caller_verification"] for r in pack["runs"]] == [verified, None]
    page = client.get("/audit/tickets/INC-V/evidence", params={"format": "html"})
    cells = re.findall(r"<td class='verification'>([^<]*)</td>", page.text)
    assert cells == ["callback: called back on the number in the HR record", "none recorded"]
    # Its one inline stylesheet is allowed by its hash; scripts stay forbidden.
    policy = page.headers["content-security-policy"]
    style = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy and "unsafe-inline" not in policy
