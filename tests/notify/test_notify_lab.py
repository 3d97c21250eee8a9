"""Notices, from the directory's addresses through the outbox, against the real lab DC and a
real SMTP server: one mail per action to the owner and the manager, never the password;
SMTP down -> retried; a crash between the commit and the send -> the next app delivers it,
once."""

from __future__ import annotations

import base64
import quopri
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from runner_api.notify.relay import UNCONFIGURED
from tests.api.conftest import wait_for_end
from tests.notify.conftest import Apps
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.mail import Mail, MailSink, free_port

VERIFIED = {"method": "callback", "note": "called back on the number on record"}
Notices = list[dict[str, Any]]


def _succeeded(client: TestClient, action: str, ticket: str, **params: Any) -> dict[str, Any]:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    created = client.post("/runs", json=body)
    assert created.status_code == 202, created.text
    run = wait_for_end(client, created.json()["id"], timeout=60)
    assert run["status"] == "succeeded", run
    return run


def _notices_until(
    client: TestClient, ready: Callable[[Notices], bool], timeout: float = 30
) -> Notices:
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get("/notifications")
        assert answer.status_code == 200, answer.text
        notices: Notices = answer.json()
        if ready(notices):
            return notices
        if time.monotonic() > deadline:
            raise AssertionError(f"notices never got there: {notices}")
        time.sleep(0.1)


def _all_sent(count: int) -> Callable[[Notices], bool]:
    return lambda notices: len(notices) == count and all(n["status"] == "sent" for n in notices)


def _audit(client: TestClient, **filters: str) -> list[dict[str, Any]]:
    answer = client.get("/audit/records", params=filters)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _assert_secret_absent(mail: Mail, secret: str) -> None:
    plain = secret.encode()
    for form in (plain, base64.b64encode(plain), quopri.encodestring(plain).strip()):
        assert form not in mail.raw
    assert secret not in mail.text
    assert secret not in str(mail.message["Subject"])


def _one_mail_each(sink: MailSink, *addresses: str) -> list[Mail]:
    sink.wait_for(len(addresses))
    time.sleep(1.5)  # a duplicate would come within a few relay rounds
    assert len(sink.mails) == len(addresses), [m.rcpt_tos for m in sink.mails]
    mails = []
    for address in addresses:
        got = sink.to(address)
        assert len(got) == 1, (address, [m.rcpt_tos for m in sink.mails])
        mails.append(got[0])
    return mails


def test_reset_and_unlock_mail_owner_and_manager_once_without_the_password(
    fresh_directory_lab: DirectoryLabHandle, sink: MailSink, apps: Apps
) -> None:
    client = apps.open(sink.port)
    run = _succeeded(
        client, "password_reset", "INC-500", username="henry.moreau", caller_verification=VERIFIED
    )
    password = client.post(f"/reveals/{run['details']['reveal_id']}").json()["password"]
    owner, manager = _one_mail_each(sink, "henry.moreau@lab.test", "emma.larsen@lab.test")
    for mail in (owner, manager):
        _assert_secret_absent(mail, password)
        assert mail.message.get_content_type() == "text/plain"
        assert mail.message["X-Fixline-Run"] == run["id"]
        for fact in ("henry.moreau", "INC-500", "password reset", "token:bootstrap", "did not ask"):
            assert fact in mail.words, (fact, mail.text)
    assert "manager of Henry Moreau" in manager.words
    notices = _notices_until(client, _all_sent(2))
    assert {n["audience"] for n in notices} == {"owner", "manager"}
    ids = {f"<{n['id']}@lab.test>" for n in notices}
    assert {owner.message["Message-ID"], manager.message["Message-ID"]} == ids
    sent = _audit(client, ticket_id="INC-500", type="notification.sent")
    assert len(sent) == 2 and all(r["run_id"] == run["id"] for r in sent)
    assert all("body" not in r["data"] and password not in str(r) for r in sent)

    sink.mails.clear()
    unlocked = _succeeded(client, "account_unlock", "INC-501", username="chloe.nguyen")
    mails = _one_mail_each(sink, "chloe.nguyen@lab.test", "anna.schmidt@lab.test")
    assert all("unlocked" in m.words and "INC-501" in m.words for m in mails)
    assert all(m.message["X-Fixline-Run"] == unlocked["id"] for m in mails)


def test_vpn_grant_is_notified_and_a_missing_address_is_flagged(
    fresh_directory_lab: DirectoryLabHandle, sink: MailSink, apps: Apps
) -> None:
    client = apps.open(sink.port)
    granted = _succeeded(client, "group_add", "INC-510", username="ben.carter", group="VPN-Users")
    (mail, _) = _one_mail_each(sink, "ben.carter@lab.test", "anna.schmidt@lab.test")
    assert "given access to VPN-Users" in mail.words and granted["id"] in str(mail.message)

    conn = fresh_directory_lab.admin_connection("lab")
    try:
        dn = fresh_directory_lab["lab"].user_dn("noah.fischer")
        assert conn.modify(dn, {"mail": [("MODIFY_DELETE", [])]}), conn.result
    finally:
        conn.unbind()
    run = _succeeded(client, "account_unlock", "INC-511", username="noah.fischer")
    flagged = {n["to"]: n for n in run["details"]["notifications"]}
    assert flagged["owner"]["status"] == "failed"
    assert "no mail address" in flagged["owner"]["error"]
    failed = client.get("/notifications", params={"status": "failed"}).json()
    assert [n["run_id"] for n in failed] == [run["id"]] and failed[0]["recipients"] == []
    end = _audit(client, run_id=run["id"], type="run.succeeded")
    assert end[0]["data"]["details"]["notifications"][0]["status"] == "failed"
    # The manager still hears of it.
    assert len(sink.wait_for(3)) == 3 and len(sink.to("maria.rossi@lab.test")) == 1


def test_smtp_down_the_run_succeeds_and_the_notice_is_retried_until_delivered(
    fresh_directory_lab: DirectoryLabHandle, apps: Apps
) -> None:
    port = free_port()  # nothing listens here yet
    client = apps.open(port)
    run = _succeeded(client, "account_unlock", "INC-520", username="chloe.nguyen")
    waiting = _notices_until(
        client, lambda ns: len(ns) == 2 and all(n["attempts"] >= 2 for n in ns)
    )
    assert all(n["status"] == "pending" and "SMTP 127.0.0.1" in n["last_error"] for n in waiting)
    failures = _audit(client, run_id=run["id"], type="notification.failed")
    assert failures and all(r["outcome"] == "retrying" for r in failures)

    sink = MailSink(port)
    sink.start()
    try:
        _one_mail_each(sink, "chloe.nguyen@lab.test", "anna.schmidt@lab.test")
        _notices_until(client, _all_sent(2))
    finally:
        sink.stop()


def test_a_notice_committed_by_one_app_is_delivered_by_the_next_once(
    fresh_directory_lab: DirectoryLabHandle, apps: Apps
) -> None:
    first = apps.open(None)  # no SMTP server configured: the notices stay in the outbox
    run = _succeeded(first, "account_unlock", "INC-530", username="chloe.nguyen")
    pending = _notices_until(
        first, lambda ns: len(ns) == 2 and all(n["last_error"] == UNCONFIGURED for n in ns)
    )
    assert all(n["status"] == "pending" and n["attempts"] == 0 for n in pending)
    apps.close(first)

    sink = MailSink(free_port())
    sink.start()
    try:
        second = apps.open(sink.port)
        mails = _one_mail_each(sink, "chloe.nguyen@lab.test", "anna.schmidt@lab.test")
        assert all(m.message["X-Fixline-Run"] == run["id"] for m in mails)
        _notices_until(second, _all_sent(2))
    finally:
        sink.stop()
