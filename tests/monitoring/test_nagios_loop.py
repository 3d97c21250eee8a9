"""The monitoring loop against a real Nagios 4: the lab's web service stops, Nagios goes
SOFT then HARD CRITICAL and calls `fixline nagios-event` (the documented wiring), Fixline
opens the incident and an RT ticket and restarts the service once, Nagios sees OK, the
incident closes, and the ticket and Nagios's own view carry the outcome.

Every wait is for a condition: Nagios's status.dat and log, the store, RT's REST 2 API.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import lab_service
from lab.demo_wiring import DEMO_SOURCES
from lab.nagios import HOST, SERVICE, LabNagios
from lab.rt import RequestTracker
from tests.plugins.lab import LabHandle
from tests.plugins.monitoring import (
    CRITICAL,
    OK,
    Loop,
    alert_to_recovery,
    monitored_server,
    restarted,
    running_loop,
    wait,
)
from tests.plugins.server import FIXLINE
from tests.plugins.webhooks import rows

# The demo's sources (its nagios source maps lab-host/HTTP; services: comes last), and a
# service whose remediation cannot work: nothing answers SSH on lab-offline.
SOURCES = (
    DEMO_SOURCES
    + """\
      - {host: lab-offline, service: HTTP, customer: lab, action: service_restart,
         params: {host: lab-offline, unit: fixline-lab-web}}
"""
)
# Two more hosts whose HTTP nobody serves; their checks wait until a test enables them.
DEAD_PORT = 1
EXTRA_OBJECTS = """
define host {{
    use         lab-template
    host_name   {host}
    address     127.0.0.1
}}
define service {{
    use                     fixline-remediated,lab-service
    host_name               {host}
    service_description     HTTP
    check_command           lab-http!{port}
    active_checks_enabled   0
}}
"""
OFFLINE, UNMAPPED = "lab-offline", "other-host"


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory, lab: LabHandle, request_tracker: RequestTracker
) -> Iterator[Loop]:
    tmp = tmp_path_factory.mktemp("nagios")
    extra = "".join(EXTRA_OBJECTS.format(host=host, port=DEAD_PORT) for host in (OFFLINE, UNMAPPED))
    nagios = LabNagios(tmp / "nagios", Path(FIXLINE), extra_objects=extra)
    with running_loop(tmp, lab, request_tracker, nagios, SOURCES) as the_loop:
        yield the_loop


def test_alert_incident_ticket_fix_recovery(loop: Loop) -> None:
    # SOFT 1, SOFT 2, HARD 3: Nagios counts the HARD as the third attempt.
    alert_to_recovery(loop, ["CRITICAL;SOFT;1", "CRITICAL;SOFT;2", "CRITICAL;HARD;3"])


def test_a_flapping_service_gets_a_ticket_and_no_second_fix(loop: Loop) -> None:
    """Down again soon after its remediation: a person's ticket, no run that would loop."""
    if loop.incident(open_only=False) is None:
        test_alert_incident_ticket_fix_recovery(loop)
    runs = rows(loop.server, "SELECT COUNT(*) FROM runs")
    loop.wait_state(OK)
    lab_service.stop()
    loop.wait_state(CRITICAL)
    incident = wait(lambda: (i := loop.incident()) and i[1].isdigit() and i, "its ticket")
    ticket = loop.ticket(incident[1])
    assert ticket["Subject"] == f"{SERVICE} on {HOST} is CRITICAL again (flapping)"
    assert "a person should look" in "\n".join(loop.comments(incident[1]))
    assert incident[2] is None
    lab_service.start()  # the person's fix
    loop.wait_state(OK)
    wait(lambda: loop.incident() is None, "the incident closed")
    assert rows(loop.server, "SELECT COUNT(*) FROM runs") == runs


def test_a_failed_remediation_is_on_the_ticket_and_does_not_loop(loop: Loop) -> None:
    loop.enable(OFFLINE)
    try:
        loop.wait_state(CRITICAL, OFFLINE)
        incident = wait(lambda: (i := loop.incident(OFFLINE)) and i[2] and i, "the run")
        run = loop.server.wait_for(incident[2], {"succeeded", "failed"}, timeout=120)
        assert run["status"] == "failed", run
        texts = wait(
            lambda: (c := "\n".join(loop.comments(incident[1]))) and "failed." in c and c,
            "the failure on the ticket",
        )
        assert "Fixline: service_restart on lab-offline failed." in texts
        # Nagios keeps checking (still CRITICAL): three more checks, still the one run.
        checked = int(loop.status(OFFLINE)["last_check"])
        wait(lambda: int(loop.status(OFFLINE)["last_check"]) >= checked + 3, "3 more checks")
        query = "SELECT COUNT(*) FROM monitoring_incidents WHERE host = ? AND run_id IS NOT NULL"
        assert rows(loop.server, query, OFFLINE) == [(1,)]
        assert loop.incident(OFFLINE) is not None  # open until Nagios sees OK
    finally:
        loop.disable(OFFLINE)


def test_a_host_outside_the_mapping_starts_nothing(loop: Loop) -> None:
    runs = rows(loop.server, "SELECT COUNT(*) FROM runs")
    loop.enable(UNMAPPED)
    try:
        loop.wait_state(CRITICAL, UNMAPPED)
        reason = f"no remediation is mapped for {UNMAPPED}/{SERVICE}; nothing runs"
        wait(
            lambda: any(
                d.get("reason") == reason
                for d in loop.server.client.get(
                    "/webhooks/deliveries", params={"status": "refused"}
                ).json()
            ),
            "the refused delivery",
        )
    finally:
        loop.disable(UNMAPPED)
    assert loop.incident(UNMAPPED) is None
    assert rows(loop.server, "SELECT COUNT(*) FROM runs") == runs
    # A refusal is final: nothing stays in the handler's spool (gone once it has the answer).
    wait(lambda: not list(loop.monitor.spool_dir.glob("*.json")), "an empty spool")


def test_an_event_fixline_missed_is_delivered_when_it_is_back(
    loop: Loop, lab: LabHandle, request_tracker: RequestTracker
) -> None:
    """Fixline down at the HARD CRITICAL: the handler spools it, Nagios's `Fixline events`
    check turns WARNING, and delivers it once Fixline answers again."""
    loop.wait_state(OK)
    loop.server.stop()
    # A fresh store: the incidents before (and their flap window) are not this test's.
    fresh = monitored_server(
        loop.tmp, lab, request_tracker, loop.monitor, SOURCES, "data-2", loop.server.port
    )
    loop.server.client.close()
    loop.server = fresh
    before = lab_service.status()
    lab_service.stop()
    loop.wait_state(CRITICAL)
    wait(lambda: list(loop.monitor.spool_dir.glob("*.json")), "the spooled event")
    # WARNING; SOFT is enough, and then Nagios retries every second, so the spool goes as
    # soon as Fixline answers.
    loop.wait_state("1", service="Fixline events", timeout=30, hard=False)
    fresh.start()
    incident = wait(lambda: (i := loop.incident()) and i[2] and i, "the delivered incident")
    wait(restarted(before["pid"]), "the service answering again")
    run = fresh.wait_for(incident[2], {"succeeded", "failed"}, timeout=120)
    assert run["status"] == "succeeded", run
    loop.wait_state(OK)
    loop.wait_state(OK, service="Fixline events", timeout=30, hard=False)
    # The recovery is an event of its own: spooled first, then gone once Fixline answered.
    wait(lambda: not list(loop.monitor.spool_dir.glob("*.json")), "an empty spool")
