"""`fixline nagios-event` as a Nagios event handler: one ticket and one run per incident."""

from __future__ import annotations

import json
import os
import subprocess

from tests.plugins.server import FIXLINE, Server
from tests.plugins.webhooks import SECRET, rows


def nagios(
    server: Server, state: str, state_type: str, service: str = "LDAP", attempt: int = 3
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FIXLINE_MONITORING_URL": str(server.client.base_url),
        "FIXLINE_WEBHOOK_SECRETS": json.dumps({"nagios": [SECRET]}),
    }
    args = ["--host", "lab-host", "--service", service, "--state", state]
    args += ["--state-type", state_type, "--attempt", str(attempt)]
    return subprocess.run(
        [FIXLINE, "nagios-event", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_one_run_per_incident(hook_server: Server) -> None:
    soft = nagios(hook_server, "CRITICAL", "SOFT", attempt=1)
    assert soft.returncode == 0 and "outcome=ignored" in soft.stdout, soft.stderr
    first = nagios(hook_server, "CRITICAL", "HARD")
    assert first.returncode == 0 and "outcome=started" in first.stdout, first.stderr
    again = nagios(hook_server, "CRITICAL", "HARD", attempt=4)
    assert again.returncode == 0 and "outcome=reused" in again.stdout, again.stderr
    ticket = _field(first.stdout, "ticket_id")
    assert _field(again.stdout, "ticket_id") == ticket
    assert _field(again.stdout, "run_id") == _field(first.stdout, "run_id")
    assert rows(hook_server, "SELECT COUNT(*), MIN(channel) FROM runs") == [(1, "monitoring")]
    recovered = nagios(hook_server, "OK", "HARD")
    assert "outcome=closed" in recovered.stdout, recovered.stderr
    next_incident = nagios(hook_server, "CRITICAL", "HARD")
    assert "outcome=started" in next_incident.stdout
    assert _field(next_incident.stdout, "ticket_id") != ticket
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(2,)]


def test_an_unmapped_service_starts_nothing_and_exits_1(hook_server: Server) -> None:
    done = nagios(hook_server, "CRITICAL", "HARD", service="Disk /var")
    assert done.returncode == 1
    assert "no remediation is mapped" in done.stderr
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]


def _field(output: str, name: str) -> str:
    return next(part.split("=", 1)[1] for part in output.split() if part.startswith(f"{name}="))
