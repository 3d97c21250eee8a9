"""Planted secrets through every path, then searched for everywhere: 0 hits.

One real `fixline serve` process on the lab (Samba DCs, sshd, EWS simulator, an SMTP
server). Canaries: a run's secret parameter (through success, failure, timeout, cancel and a
kill -9 crash), the temporary password of a real reset, the private key of a VPN profile
(approved by a second person, downloaded once: that answer alone is not searched), the
agent's login password, the session cookie, an API token, a credential written through the
API, and the lab's own directory, Exchange, SSH and login secrets. Searched for raw, base64 (plain,
URL-safe, unpadded), URL-encoded and JSON-escaped in every file under the data folder (the
SQLite file and its WAL, the per-run folders), a text dump of the database, the service log,
every API answer of the test and every mail the SMTP server got.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from lab.directory_data import LAB_USER_PASSWORD
from lab.ews.lab import MailboxLab
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import LabHandle
from tests.plugins.mail import MailSink
from tests.plugins.server import Server
from tests.secrets.canary import forms

VERIFIED = {"method": "callback", "note": "called back on the number on record"}


def _env(settings: dict[str, Any]) -> dict[str, str]:
    plain = {
        k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in settings.items()
    }
    return {f"FIXLINE_{k.upper()}": str(v) for k, v in plain.items()}


class Sweep:
    """The server, what it answered, and the secrets planted on the way."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.answers: list[str] = []
        self.canaries: dict[str, str] = {}

    def plant(self, label: str) -> str:
        value = f"Canary-{label}-{secrets.token_hex(8)}"
        self.canaries[label] = value
        return value

    def keep(self, answer: httpx.Response) -> httpx.Response:
        self.answers.append(f"{answer.status_code} {dict(answer.headers)} {answer.text}")
        return answer

    def smoke(self, label: str, host: str = "lab-host") -> str:
        body = {
            "customer": "lab",
            "ticket_id": f"INC-{label}",
            "action": "smoke_check",
            "params": {"host": host, "secret": self.plant(label)},
        }
        answer = self.keep(self.server.client.post("/runs", json=body))
        assert answer.status_code == 202, answer.text
        run_id: str = answer.json()["id"]
        return run_id

    def end(self, run_id: str, *statuses: str) -> dict[str, Any]:
        ended = {"succeeded", "failed", "canceled", "timed_out", "interrupted"}
        run = self.server.wait_for(run_id, ended, timeout=120)
        assert run["status"] in statuses, run
        return run


def _run_paths(sweep: Sweep) -> list[str]:
    server = sweep.server
    ok = sweep.smoke("success")
    sweep.end(ok, "succeeded")
    down = sweep.smoke("failure", host="lab-offline")
    assert "unreachable" in str(sweep.end(down, "failed")).lower()
    canceled = sweep.smoke("cancel")
    server.wait_for(canceled, {"running", "succeeded"})
    sweep.keep(server.client.post(f"/runs/{canceled}/cancel"))
    sweep.end(canceled, "canceled", "succeeded")
    crashed = sweep.smoke("crash")
    server.wait_for(crashed, {"running"})
    time.sleep(0.3)
    server.kill9()
    server.start()
    sweep.end(crashed, "interrupted")
    server.stop()
    server.extra_env["FIXLINE_DEFAULT_TIMEOUT_S"] = "1"
    server.start()
    slow = sweep.smoke("timeout")
    sweep.end(slow, "timed_out")
    server.stop()
    del server.extra_env["FIXLINE_DEFAULT_TIMEOUT_S"]
    server.start()
    wrong_field = sweep.plant("wrong-field")
    wrong = sweep.keep(
        server.client.post(
            "/runs",
            json={
                "customer": "lab",
                "ticket_id": "INC-wrong",
                "action": "smoke_check",
                # The secret typed into the host field too: the error must not echo it.
                "params": {"host": wrong_field, "secret": wrong_field},
            },
        )
    )
    assert wrong.status_code == 422
    return [ok, down, canceled, crashed, slow]


def _agent_reset(sweep: Sweep, sink: MailSink) -> tuple[str, str]:
    """An agent signs in, resets a password, reads it once; the user is mailed. Then a VPN
    grant, approved by a second person, whose profile the agent downloads once."""
    server = sweep.server
    with httpx.Client(base_url=server.client.base_url, timeout=60) as agent:
        return _reset_as(sweep, sink, agent)


def _reset_as(sweep: Sweep, sink: MailSink, agent: httpx.Client) -> tuple[str, str]:
    # The login's own answer carries the cookie by design; every other answer must not.
    login = agent.post(
        "/auth/login", json={"username": "alice.agent", "password": LAB_USER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    sweep.canaries["session-cookie"] = login.cookies["fixline_session"]
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    answer = agent.post(
        "/runs",
        params={"wait": 30},
        headers=csrf,
        json={
            "customer": "lab",
            "ticket_id": "INC-reset",
            "action": "password_reset",
            "params": {"username": "henry.moreau", "caller_verification": VERIFIED},
        },
    )
    sweep.keep(answer)
    run = answer.json()
    assert run["status"] == "succeeded", run
    reveal = agent.post(f"/reveals/{run['details']['reveal_id']}", headers=csrf)
    assert reveal.status_code == 200
    sweep.canaries["temporary-password"] = reveal.json()["password"]
    sweep.keep(agent.post(f"/reveals/{run['details']['reveal_id']}", headers=csrf))
    sweep.keep(agent.get(f"/runs/{run['id']}"))
    sweep.keep(agent.get("/auth/me"))
    vpn_id = _vpn_grant(sweep, agent, csrf)
    sweep.keep(agent.post("/auth/logout", headers=csrf))
    sink.wait_for(1)
    run_id: str = run["id"]
    return run_id, vpn_id


def _vpn_grant(sweep: Sweep, agent: httpx.Client, csrf: dict[str, str]) -> str:
    """The agent asks for VPN access, a second person approves, the agent is told and
    downloads the profile once: its private key is planted, the download kept out."""
    body = {"customer": "lab", "ticket_id": "INC-vpn", "action": "vpn_grant"}
    held = agent.post("/runs", headers=csrf, json=body | {"params": {"username": "ben.carter"}})
    assert sweep.keep(held).status_code == 202, held.text
    run_id: str = held.json()["id"]
    approved = sweep.server.client.post(f"/approvals/{run_id}/approve", json={"comment": "ok"})
    assert sweep.keep(approved).status_code == 200, approved.text
    run = sweep.end(run_id, "succeeded")
    sweep.keep(agent.get("/approvals/decided"))
    reveal = f"/reveals/{run['details']['reveal_id']}"
    sweep.keep(agent.post(f"{reveal}/told", headers=csrf))
    assert sweep.keep(agent.post(reveal, headers=csrf)).status_code == 409
    download = agent.post(f"{reveal}/download", headers=csrf)
    assert download.status_code == 200
    key = download.text.split("<key>\n", 1)[1].split("\n</key>", 1)[0]
    lines = [line for line in key.splitlines() if not line.startswith("-----")]
    for n, line in enumerate(lines):
        if len(line) > 20:  # a short last line could be anywhere by chance
            sweep.canaries[f"vpn-key-line-{n}"] = line
    sweep.canaries["vpn-key"] = "".join(lines)
    assert sweep.keep(agent.post(f"{reveal}/download", headers=csrf)).status_code == 410
    sweep.keep(agent.get(reveal))
    return run_id


def _tokens_and_credentials(sweep: Sweep) -> None:
    client = sweep.server.client
    # Shown once, in this answer: kept out of the haystack, looked for everywhere else.
    issued = client.post("/tokens", json={"name": "sweep", "role": "agent", "customers": ["lab"]})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    sweep.canaries["api-token"] = token
    sweep.keep(client.get("/runs", headers={"Authorization": f"Bearer {token}"}))
    sweep.keep(client.get("/tokens"))
    written = client.put(
        "/credentials/contoso/mailbox",
        json={"username": "svc-ews@contoso.test", "password": sweep.plant("credential")},
    )
    assert sweep.keep(written).status_code == 200, written.text
    sweep.keep(client.get("/credentials/contoso"))


def _read_everything(sweep: Sweep, run_ids: list[str]) -> None:
    client = sweep.server.client
    for run_id in run_ids:
        sweep.keep(client.get(f"/runs/{run_id}"))
        sweep.keep(client.get(f"/runs/{run_id}/events", params={"stream": False}))
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            sweep.answers.append("".join(stream.iter_text()))
    for path in ("/runs", "/audit/records", "/audit/export", "/notifications", "/metrics"):
        sweep.keep(client.get(path, params={"limit": 500} if path != "/metrics" else None))
    sweep.keep(client.get("/audit/tickets/INC-reset/evidence"))


def _lab_secrets(lab: LabHandle, directory_lab: DirectoryLabHandle) -> dict[str, str]:
    folder = lab.credentials_dir / "lab"
    key_lines = (folder / "ssh" / "private_key").read_text().splitlines()[1:-1]
    login = directory_lab.lab.login_settings()["login_bind_password"].get_secret_value()
    return {
        "directory-bind-password": (folder / "directory" / "password").read_text().strip(),
        "exchange-password": (folder / "mailbox" / "password").read_text().strip(),
        # The key's base64 body, line by line: the PEM armour itself is no secret.
        **{f"ssh-key-line-{n}": line for n, line in enumerate(key_lines) if len(line) > 20},
        "login-bind-password": login,
        "agent-password": LAB_USER_PASSWORD,
    }


def _haystacks(sweep: Sweep, sink: MailSink, log_path: Path) -> dict[str, bytes]:
    data_dir = sweep.server.data_dir
    found = {
        str(path): path.read_bytes()
        for path in data_dir.rglob("*")
        if path.is_file() and path.name != "secret.key"
    }
    with sqlite3.connect(data_dir / "fixline.db") as db:
        found["database dump"] = "\n".join(db.iterdump()).encode()
    found["service log"] = log_path.read_bytes()
    found["API answers"] = "\n".join(sweep.answers).encode()
    found["mails"] = b"\n".join(mail.raw for mail in sink.mails)
    return found


def test_planted_secrets_are_found_nowhere(
    tmp_path: Path,
    lab: LabHandle,
    fresh_directory_lab: DirectoryLabHandle,
    ews_simulator: MailboxLab,
    sink: MailSink,
) -> None:
    log_path = tmp_path / "service.log"
    server = Server(data_dir=tmp_path / "data", lab=lab, log_path=log_path)
    server.extra_env = {
        **_env(fresh_directory_lab.lab.login_settings()),
        "FIXLINE_SESSION_COOKIE_SECURE": "false",
        "FIXLINE_SMTP_HOST": "127.0.0.1",
        "FIXLINE_SMTP_PORT": str(sink.port),
        "FIXLINE_SMTP_SECURITY": "none",
        "FIXLINE_NOTIFY_FROM": "fixline@lab.test",
    }
    server.start()
    sweep = Sweep(server)
    try:
        run_ids = _run_paths(sweep)
        run_ids.extend(_agent_reset(sweep, sink))
        _tokens_and_credentials(sweep)
        _read_everything(sweep, run_ids)
    finally:
        server.stop()
        server.client.close()
    planted = sweep.canaries | _lab_secrets(lab, fresh_directory_lab)
    assert len(planted) >= 13
    hits = [
        f"{label} in {where}"
        for where, data in _haystacks(sweep, sink, log_path).items()
        for label, value in planted.items()
        if any(form.encode() in data for form in forms(value))
    ]
    assert hits == [], hits
    leftovers = list((server.data_dir / "work").iterdir())
    assert leftovers == [], f"per-run folders left behind: {leftovers}"
