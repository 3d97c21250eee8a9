"""A planted `{{ lookup('pipe', 'id') }}` through every channel (API, which the web page
uses; `fixline run`; webhook, built-in shape and a source's rules; monitoring) into every
string parameter of every playbook action, and into the ticket id: the patterns refuse it
cleanly where they apply, and where a value does reach Ansible (the smoke check's secret) it
arrives as text. Against the real lab, through real ansible-runner."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner_api.webhooks.sender import deliver
from tests.plugins.lab import LabHandle
from tests.plugins.server import FIXLINE, Server, fixline_env
from tests.plugins.webhooks import SECRET, rows, webhook_env
from tests.webhooks.hooks import started_run

PLANT = "{{ lookup('pipe', 'id') }}"
RAN = "uid="  # what `id` prints: a planted value was rendered
ENDED = {"succeeded", "failed", "refused", "timed_out"}
# Every playbook action with valid parameters, and its string parameters.
ACTIONS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "smoke_check": ({"host": "lab-host"}, ("host",)),
    "service_restart": ({"host": "lab-host", "unit": "fixline-lab-web"}, ("host", "unit")),
    "software_install": ({"host": "lab-host", "package": "fixline-lab-hello"}, ("host", "package")),
    "cert_issue_install": ({"host": "lab-host"}, ("host",)),
    "cert_install": ({"host": "lab-host", "bundle": "x" * 64}, ("host",)),
    "vpn_grant": ({"username": "jdoe"}, ("username",)),
    "vpn_revoke": ({"username": "jdoe"}, ("username",)),
}
PLANTED = [
    (action, {**valid, name: PLANT}) for action, (valid, names) in ACTIONS.items() for name in names
]
SOURCES = """\
version: 1
sources:
  generic:
    customers: [lab]
  helpdesk:
    customers: [lab]
    rules:
      - name: smoke-from-form
        match: {{queue: General}}
        contains: {{subject: smoke}}
        customer: lab
        action: smoke_check
        params: {{host: lab-host}}
        params_from: {{secret: secret}}
      - name: restart-from-form
        match: {{queue: General}}
        contains: {{subject: restart}}
        customer: lab
        action: service_restart
        params_from: {{host: host, unit: unit}}
  nagios:
    customers: [lab]
    services:
      - host: lab-host
        service: SMOKE
        customer: lab
        action: smoke_check
        params: {{host: lab-host, secret: {secret}}}
"""


def secret_for(folder: Path, channel: str) -> str:
    """The planted text, and a second template that would leave a file if anything ran it."""
    return f"{PLANT} {{{{ lookup('pipe', 'touch {folder / channel}') }}}}"


@pytest.fixture
def planted_server(tmp_path: Path, lab: LabHandle) -> Iterator[Server]:
    (tmp_path / "ran").mkdir()
    sources = tmp_path / "webhooks.yml"
    monitoring_secret = json.dumps(secret_for(tmp_path / "ran", "monitoring"))
    sources.write_text(SOURCES.format(secret=monitoring_secret))
    env = webhook_env(sources)
    server = Server(tmp_path / "data", lab, tmp_path / "service.log", extra_env=env)
    server.start()
    yield server
    server.stop()
    server.client.close()


def assert_arrived_as_text(run: dict[str, Any], events: str, ran: Path, channel: str) -> None:
    """The smoke check's round trip compared what the host got with what was sent, and the
    second template never ran: the secret stayed text all the way."""
    assert run["status"] == "succeeded", run
    assert run["summary"].endswith("secret arrived intact"), run
    assert not (ran / channel).exists(), f"{channel}: a planted template ran"
    assert RAN not in json.dumps(run) + events


def fixline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FIXLINE, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_api_refuses_planted_strings_and_a_secret_arrives_as_text(
    planted_server: Server, tmp_path: Path
) -> None:
    client = planted_server.client
    for action, params in PLANTED:
        body = {"customer": "lab", "ticket_id": "INC-P1", "action": action, "params": params}
        answer = client.post("/runs", json=body)
        assert answer.status_code == 422, (action, params, answer.text)
        assert answer.json()["error"]["code"] == "invalid_params"
    for action, (valid, _) in ACTIONS.items():
        body = {"customer": "lab", "ticket_id": PLANT, "action": action, "params": valid}
        assert client.post("/runs", json=body).status_code == 422
    assert rows(planted_server, "SELECT COUNT(*) FROM runs") == [(0,)]
    # A bundle is a secret (never in extra vars), checked before anything is pushed.
    bundle = {"host": "lab-host", "bundle": PLANT * 3}
    body = {"customer": "lab", "ticket_id": "INC-P3", "action": "cert_install", "params": bundle}
    created = client.post("/runs", json=body)
    assert created.status_code == 202, created.text
    refused = planted_server.wait_for(created.json()["id"], ENDED, timeout=60)
    assert refused["status"] == "refused" and RAN not in json.dumps(refused), refused

    secret = secret_for(tmp_path / "ran", "api")
    body = {
        "customer": "lab",
        "ticket_id": "INC-P2",
        "action": "smoke_check",
        "params": {"host": "lab-host", "secret": secret},
    }
    created = client.post("/runs", json=body, params={"wait": 60})
    assert created.status_code == 202, created.text
    run = planted_server.wait_for(created.json()["id"], ENDED, timeout=120)
    events = client.get(f"/runs/{run['id']}/events", params={"stream": False}).text
    assert_arrived_as_text(run, events, tmp_path / "ran", "api")


def test_the_cli_refuses_planted_strings_and_a_secret_arrives_as_text(
    tmp_path: Path, lab: LabHandle
) -> None:
    env = fixline_env(tmp_path / "cli", lab)
    (tmp_path / "ran").mkdir()

    def run(action: str, ticket: str, params: dict[str, str]) -> subprocess.CompletedProcess[str]:
        pairs = [arg for name, value in params.items() for arg in ("-p", f"{name}={value}")]
        return fixline(env, "run", action, "--customer", "lab", "--ticket", ticket, *pairs)

    # One action per kind here (each command is a process of its own); every pair goes
    # through the same RunService check in the API and webhook tests.
    for action in ("service_restart", "cert_issue_install", "vpn_grant"):
        params = dict(ACTIONS[action][0], **{ACTIONS[action][1][-1]: PLANT})
        refused = run(action, "CLI-P1", params)
        assert refused.returncode == 2, (action, params, refused.stdout + refused.stderr)
        assert "params." in refused.stderr
    # The CLI had no ticket-id check of its own: RunService's is the one every channel meets.
    refused = run("smoke_check", PLANT, {"host": "lab-host"})
    assert refused.returncode == 2 and "ticket id" in refused.stderr, refused.stderr
    assert RAN not in refused.stdout + refused.stderr

    secret = secret_for(tmp_path / "ran", "cli")
    done = run("smoke_check", "CLI-P2", {"host": "lab-host", "secret": secret})
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = done.stdout.split()[1]
    shown = fixline(env, "show", run_id)
    ran = json.loads(shown.stdout.split("\nevents:")[0])
    assert_arrived_as_text(ran, shown.stdout, tmp_path / "ran", "cli")


def test_webhooks_refuse_planted_strings_and_a_secret_arrives_as_text(
    planted_server: Server, tmp_path: Path
) -> None:
    client = planted_server.client

    def send(source: str, payload: dict[str, Any], key: str) -> httpx.Response:
        return deliver(client, source, SECRET, payload, key)

    # The built-in shape: every action, every string parameter; then the ticket id.
    for n, (action, params) in enumerate(PLANTED):
        payload = {"customer": "lab", "ticket_id": "HOOK-P1", "action": action, "params": params}
        answer = send("generic", payload, f"planted-generic-{n:04d}")
        assert answer.status_code == 422, (action, params, answer.text)
        assert answer.json()["error"]["code"] == "invalid_params"
    payload = {"customer": "lab", "ticket_id": PLANT, "action": "smoke_check", "params": {}}
    assert send("generic", payload, "planted-generic-ticket").status_code == 422
    # A source's rules: fields of the ticket become parameters and the ticket id.
    form = {"queue": "General", "subject": "please restart", "ticket_id": 41}
    for n, field in enumerate(("host", "unit")):
        fields = {"host": "lab-host", "unit": "fixline-lab-web", field: PLANT}
        answer = send("helpdesk", {**form, **fields}, f"planted-rule-{n:04d}")
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_params"
    smoke = {"queue": "General", "subject": "smoke test", "ticket_id": PLANT, "secret": "x" * 8}
    answer = send("helpdesk", smoke, "planted-rule-ticket")
    assert answer.status_code == 422 and "invalid_ticket_id" in answer.text, answer.text
    refused = rows(
        planted_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status_code = 422"
    )
    assert refused == [(len(PLANTED) + 4,)]
    assert rows(planted_server, "SELECT COUNT(*) FROM runs") == [(0,)]

    # The one free string parameter, through both shapes, to the lab host.
    ran = tmp_path / "ran"
    generic = {
        "customer": "lab",
        "ticket_id": "HOOK-P2",
        "action": "smoke_check",
        "params": {"host": "lab-host", "secret": secret_for(ran, "generic")},
    }
    rule = {**smoke, "ticket_id": 42, "secret": secret_for(ran, "rule")}
    for channel, source, payload in (("generic", "generic", generic), ("rule", "helpdesk", rule)):
        answer = send(source, payload, f"planted-{channel}-run")
        assert answer.status_code == 202, answer.text
        run = started_run(planted_server, answer.json()["run_id"], ENDED, timeout=120)
        events = client.get(f"/runs/{run['id']}/events", params={"stream": False}).text
        assert_arrived_as_text(run, events, ran, channel)


def test_monitoring_runs_a_configured_secret_as_text_and_refuses_a_planted_event(
    planted_server: Server, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "FIXLINE_MONITORING_URL": str(planted_server.client.base_url),
        "FIXLINE_WEBHOOK_SECRETS": json.dumps({"nagios": [SECRET]}),
    }

    def event(host: str, service: str) -> subprocess.CompletedProcess[str]:
        args = ["--host", host, "--service", service, "--state", "CRITICAL"]
        return fixline(env, "nagios-event", *args, "--state-type", "HARD", "--attempt", "3")

    for host, service in ((PLANT, "SMOKE"), ("lab-host", PLANT)):
        refused = event(host, service)
        assert refused.returncode == 1 and "no remediation is mapped" in refused.stderr
    started = event("lab-host", "SMOKE")
    assert started.returncode == 0 and "outcome=started" in started.stdout, started.stderr
    run_id = next(p.split("=", 1)[1] for p in started.stdout.split() if p.startswith("run_id="))
    run = planted_server.wait_for(run_id, ENDED, timeout=120)
    assert run["channel"] == "monitoring"
    events = planted_server.client.get(f"/runs/{run_id}/events", params={"stream": False}).text
    assert_arrived_as_text(run, events, tmp_path / "ran", "monitoring")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not rows(planted_server, "SELECT 1 FROM runs"):
        time.sleep(0.05)
    assert rows(planted_server, "SELECT COUNT(*) FROM runs") == [(1,)]
