"""The VPN profile hand-over (issue 21 item 1) in a real browser against the lab: an agent
asks for VPN access and moves on; a senior agent approves; the agent is told on the page
they are on, live, and by mail; the run's profile waits for them and its window starts when
they open it, not when the run ended; one download of a valid .ovpn (its key never on the
page), a second one refused with a clear message; a rejection told the same way. The key
is then looked for in the service's log, its data folder and database, the mails and every
API answer but the download: found nowhere."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from playwright.sync_api import Page, expect

from runner_api.pki.keys import load_private_key, public_bytes
from tests.pki.leaks import assert_keys_absent
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import LabHandle
from tests.plugins.mail import Mail, MailSink, free_port
from tests.plugins.server import Server
from tests.web.conftest import Agent, server_env

USER = "ben.carter"
DOWNLOAD = "Download the VPN profile (once)"
TTL_S = 300
# Where the directory says alice.agent's mail goes.
REQUESTER_MAIL = "alice.agent@lab.test"


@pytest.fixture(scope="module")
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def web_server(
    tmp_path_factory: pytest.TempPathFactory,
    lab: LabHandle,
    directory_lab: DirectoryLabHandle,
    mail_sink: MailSink,
) -> Iterator[Server]:
    """This module's `fixline serve`, as tests/web/conftest.py's, with a mail server."""
    for customer in directory_lab.customers:
        directory_lab.reset(customer)
    root = tmp_path_factory.mktemp("handover")
    server = Server(data_dir=root / "data", lab=lab, log_path=root / "service.log")
    server.extra_env = {
        **server_env(directory_lab),
        "FIXLINE_SMTP_HOST": "127.0.0.1",
        "FIXLINE_SMTP_PORT": str(mail_sink.port),
        "FIXLINE_SMTP_SECURITY": "none",
        "FIXLINE_NOTIFY_FROM": "fixline@lab.test",
        "FIXLINE_REVEAL_TTL_S": str(TTL_S),
    }
    server.start()
    yield server
    server.stop()
    server.client.close()


def _request_vpn(page: Page, ticket: str) -> str:
    """The agent asks for VPN access for USER; the run waits for approval. Its id."""
    page.goto("/ui/")
    page.get_by_label("Ticket id").fill(ticket)
    page.get_by_label("Find the user").fill("ben")
    page.locator(f'#user-results button[data-username="{USER}"]').click()
    page.locator('#actions button[data-action="vpn_grant"]').click()
    expect(page.get_by_label("Username *")).to_have_value(USER)
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("button", name="Confirm and run")).to_be_enabled(timeout=30_000)
    page.get_by_role("button", name="Confirm and run").click()
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text("awaiting approval", timeout=30_000)
    return page.url.rsplit("/", 1)[-1]


def _decide(senior: Agent, ticket: str, verdict: str, comment: str) -> None:
    senior.page.goto("/ui/approvals")
    card = senior.page.locator("article.approval", has_text=ticket)
    card.get_by_label("Comment").fill(comment)
    card.get_by_role("button", name=verdict).click()
    said = "Approved" if verdict == "Approve" else "Rejected"
    expect(senior.page.locator("#approvals-msg")).to_contain_text(f"{said}: vpn_grant")


def _mail(sink: MailSink, subject: str, timeout: float = 30) -> Mail:
    """The mail to the requester with this subject, once the server has it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in sink.to(REQUESTER_MAIL):
            if mail.message["Subject"] == subject:
                return mail
        time.sleep(0.05)
    raise AssertionError(f"no mail {subject!r} to {REQUESTER_MAIL}")


def _json(page: Page, path: str) -> Any:
    answer = page.request.get(path)
    assert answer.ok, answer.text()
    return answer.json()


def _section(profile: str, tag: str) -> bytes:
    found = re.search(rf"<{tag}>\n(.+?)\n</{tag}>", profile, re.DOTALL)
    assert found is not None, f"no <{tag}> in the profile"
    return found.group(1).encode()


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_vpn_profile_handed_over_once_after_approval(
    agents: dict[str, Agent], web_server: Server, mail_sink: MailSink
) -> None:
    alice, bob = agents["alice.agent"], agents["bob.senior"]
    alice.login()
    refused_id = _request_vpn(alice.page, "INC-VPN-2")
    run_id = _request_vpn(alice.page, "INC-VPN-1")
    # The agent moves on to other work; the runs' pages are closed.
    alice.page.goto("/ui/runs")
    bob.login()
    _decide(bob, "INC-VPN-2", "Reject", "no VPN without the manager's form")
    _decide(bob, "INC-VPN-1", "Approve", "manager approved by phone")

    # Told on the page they are on, live (no reload): who decided, why, and where to go.
    refused = alice.page.locator(f'#decisions .decision[data-run-id="{refused_id}"]')
    expect(refused).to_contain_text("Rejected by bob.senior", timeout=30_000)
    expect(refused).to_contain_text("no VPN without the manager's form")
    expect(refused).to_contain_text("Nothing of it ran.")
    notice = alice.page.locator(f'#decisions .decision[data-run-id="{run_id}"]')
    expect(notice).to_contain_text("Approved by bob.senior", timeout=30_000)
    expect(notice).to_contain_text(f"vpn_grant on {USER} (ticket INC-VPN-1)")
    expect(notice).to_contain_text("manager approved by phone")
    alice.shot("50-vpn-decision-notices")
    refused.get_by_role("button", name=re.compile("Dismiss")).click()
    expect(refused).to_have_count(0)
    ended = web_server.wait_for(run_id, {"succeeded", "failed"}, timeout=120)
    assert ended["status"] == "succeeded", ended
    # ... and by mail, at the address the directory has for them.
    mail = _mail(mail_sink, f"Approved: vpn_grant on {USER} (ticket INC-VPN-1)")
    assert "approved by bob.senior" in mail.words
    rejected = _mail(mail_sink, f"Rejected: vpn_grant on {USER} (ticket INC-VPN-2)")
    assert "Comment: no VPN without the manager's form" in rejected.words
    assert "Nothing of it ran." in rejected.words

    # The run ended while its requester was elsewhere: the profile waits, its window not
    # started (reading its state starts nothing).
    reveal_id = ended["details"]["reveal_id"]
    waiting = _json(alice.page, f"/reveals/{reveal_id}")
    assert (waiting["state"], waiting["told_at"]) == ("ready", None)
    assert waiting["filename"] == f"{USER}-lab.ovpn"

    # Opening the run from the notice tells them it is ready: the window starts now.
    notice.get_by_role("link", name="Open the run").click()
    alice.page.wait_for_url(f"**/ui/runs/{run_id}")
    button = alice.page.get_by_role("button", name=DOWNLOAD)
    expect(button).to_be_visible()
    expect(alice.page.locator("#facts")).to_contain_text("Approved by")
    expect(alice.page.locator("#reveal-box")).to_be_hidden()  # no Show button for a file
    told = _json(alice.page, f"/reveals/{reveal_id}")
    told_at = _when(told["told_at"])
    assert told_at > _when(ended["finished_at"])
    assert _when(told["expires_at"]) == told_at + timedelta(seconds=TTL_S)
    alice.check_page("51-vpn-download-ready")

    # One download: a valid profile, key and certificate a pair, the key never on the page.
    with alice.page.expect_download() as started:
        alice.page.get_by_role("button", name=DOWNLOAD).click()
    download = started.value
    assert download.suggested_filename == f"{USER}-lab.ovpn"
    profile = download.path().read_text()
    assert profile.startswith("# Fixline VPN profile for CN=ben.carter\n")
    assert "\nclient\n" in profile and "\nremote-cert-tls server\n" in profile
    cert = x509.load_pem_x509_certificate(_section(profile, "cert"))
    key_pem = _section(profile, "key")
    key = load_private_key(key_pem)
    assert public_bytes(key.public_key()) == public_bytes(cert.public_key())
    assert cert.subject.rfc4514_string() == f"CN={USER}"
    x509.load_pem_x509_certificate(_section(profile, "ca"))
    expect(alice.page.locator("#file-msg")).to_have_text(
        f"Downloaded as {USER}-lab.ovpn. It cannot be downloaded again."
    )
    expect(alice.page.get_by_role("button", name=DOWNLOAD)).to_have_count(0)
    dom = alice.page.content()
    assert_keys_absent(dom, key_pem.decode())
    assert "PRIVATE KEY" not in dom
    alice.shot("52-vpn-downloaded")

    # A second download is refused, saying when the first was: on the page...
    alice.page.reload()
    expect(alice.page.locator("#file-msg")).to_contain_text("Already downloaded once")
    expect(alice.page.get_by_role("button", name=DOWNLOAD)).to_have_count(0)
    # ... and by the API (the page's own session), with nothing in the answer.
    csrf = alice.page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    again = alice.page.request.post(
        f"/reveals/{reveal_id}/download", headers={"X-CSRF-Token": csrf}
    )
    assert again.status == 410
    assert "this file was already downloaded once, at " in again.json()["error"]["message"]

    _found_nowhere(web_server, mail_sink, run_id, key_pem.decode(), [again.text()])


def _found_nowhere(
    server: Server, sink: MailSink, run_id: str, key_pem: str, answers: list[str]
) -> None:
    """The profile's key in no log line, file, row, mail, event, audit record or answer."""
    client = server.client
    reads = [f"/runs/{run_id}", f"/runs/{run_id}/events?stream=false"]
    reads += ["/audit/records?limit=500", "/notifications?limit=500", "/runs?limit=500"]
    answers += [client.get(path).text for path in reads]
    data_dir = server.data_dir
    files = [p.read_bytes() for p in data_dir.rglob("*") if p.is_file() and p.name != "secret.key"]
    with sqlite3.connect(data_dir / "fixline.db") as db:
        rows = "\n".join(db.iterdump())
    haystack = [
        server.log_path.read_text(),
        rows,
        *(f.decode("latin-1") for f in files),
        *(mail.raw.decode("latin-1") for mail in sink.mails),
        *answers,
    ]
    assert_keys_absent("\n".join(haystack), key_pem)
