"""`fixline nagios-event` as a Nagios event handler: one ticket and one run per incident."""

from __future__ import annotations

import json
import os
import subprocess
import time

from runner_api.monitoring.spool import EventSpool
from tests.plugins.server import FIXLINE, Server
from tests.plugins.webhooks import SECRET, rows


def nagios(
    server: Server, state: str, state_type: str, service: str = "LDAP", attempt: int = 3
) -> subprocess.CompletedProcess[str]:
    args = ["--host", "lab-host", "--service", service, "--state", state]
    args += ["--state-type", state_type, "--attempt", str(attempt)]
    return subprocess.run(
        [FIXLINE, "nagios-event", *args],
        env=handler_env(server),
        capture_output=True,
        text=True,
        timeout=60,
    )


def spool_check(server: Server) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FIXLINE, "nagios-spool"],
        env=handler_env(server),
        capture_output=True,
        text=True,
        timeout=60,
    )


def handler_env(server: Server) -> dict[str, str]:
    return {
        **os.environ,
        "FIXLINE_MONITORING_URL": str(server.client.base_url),
        "FIXLINE_WEBHOOK_SECRETS": json.dumps({"nagios": [SECRET]}),
        "FIXLINE_MONITORING_SPOOL_DIR": str(server.data_dir / "spool"),
    }


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
    # CRITICAL again soon after a remediated incident closed: a new ticket, no second run.
    flapping = nagios(hook_server, "CRITICAL", "HARD")
    assert "outcome=held" in flapping.stdout, flapping.stderr
    assert _field(flapping.stdout, "ticket_id") != ticket
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]
    assert "outcome=reused" in nagios(hook_server, "CRITICAL", "HARD", attempt=5).stdout
    assert "outcome=closed" in nagios(hook_server, "OK", "HARD").stdout
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]


def test_unreachable_fixline_keeps_the_event_until_it_answers(hook_server: Server) -> None:
    """The event met no Fixline: spooled, then delivered by `fixline nagios-spool`; an
    older event of the same service is dropped unsent (only the newest state matters)."""
    hook_server.stop()
    down = nagios(hook_server, "CRITICAL", "HARD")
    assert down.returncode == 1 and "waits in" in down.stderr, down.stderr
    again = nagios(hook_server, "CRITICAL", "HARD", attempt=4)
    assert again.returncode == 1
    check = spool_check(hook_server)
    assert check.returncode == 1 and "FIXLINE WARNING - 1 event(s) wait" in check.stdout
    hook_server.start()
    check = spool_check(hook_server)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "FIXLINE OK - no event waits (1 delivered now)" in check.stdout
    assert rows(hook_server, "SELECT COUNT(*), MIN(channel) FROM runs") == [(1, "monitoring")]
    assert list((hook_server.data_dir / "spool").iterdir()) == []


def test_an_unmapped_service_starts_nothing_and_exits_1(hook_server: Server) -> None:
    done = nagios(hook_server, "CRITICAL", "HARD", service="Disk /var")
    assert done.returncode == 1
    assert "no remediation is mapped" in done.stderr
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]


def _field(output: str, name: str) -> str:
    return next(part.split("=", 1)[1] for part in output.split() if part.startswith(f"{name}="))


def test_an_event_no_longer_waiting_is_handled_not_failed(hook_server: Server) -> None:
    """Two handlers (or a handler and `fixline nagios-spool`) may run at once: when this
    handler's own event is no longer in the spool by the time it delivers, another one
    sent it or a newer state of the service replaced it. Handled (exit 0), not an error
    that says "None" and makes Nagios log a failure. Here a newer OK of the service waits
    already (a file that sorts after the handler's own): the CRITICAL is dropped unsent and
    the OK is delivered."""
    spool = EventSpool(hook_server.data_dir / "spool")
    ok = {"host": "lab-host", "service": "LDAP", "state": "OK", "state_type": "HARD", "attempt": 1}
    newer = spool.put(ok)
    later = spool.folder / f"{time.time_ns() + 10**12:020d}-{newer}.json"
    next(spool.folder.glob(f"*-{newer}.json")).rename(later)
    done = nagios(hook_server, "CRITICAL", "HARD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "None" not in done.stdout + done.stderr
    assert "outcome=elsewhere" in done.stdout, done.stdout
    assert list(spool.folder.iterdir()) == []
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]
