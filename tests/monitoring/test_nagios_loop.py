"""The monitoring loop against a real Nagios 4: the lab's web service stops, Nagios goes
SOFT then HARD CRITICAL and calls `fixline nagios-event` (the documented wiring), Fixline
opens the incident and an RT ticket and restarts the service once, Nagios sees OK, the
incident closes, and the ticket and Nagios's own view carry the outcome.

Every wait is for a condition: Nagios's status.dat and log, the store, RT's REST 2 API.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab import lab_service
from lab.demo_wiring import DEMO_SOURCES
from lab.nagios import HOST, SERVICE, LabNagios
from lab.process import LabError
from lab.rt import RequestTracker
from tests.plugins.lab import LabHandle
from tests.plugins.rt import rest_client, writing_back_to
from tests.plugins.server import FIXLINE, Server, free_port
from tests.plugins.webhooks import SECRET, rows
from tests.tickets.test_rt_end_to_end import field_value

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
CRITICAL, OK, HARD = "2", "0", "1"


@dataclass
class Loop:
    """The module's Fixline, Nagios and RT."""

    server: Server
    nagios: LabNagios
    rt: httpx.Client
    tmp: Path

    def status(self, host: str = HOST, service: str = SERVICE) -> dict[str, str]:
        return self.nagios.service_status(host, service)

    def wait_state(
        self,
        state: str,
        host: str = HOST,
        service: str = SERVICE,
        timeout: float = 60,
        hard: bool = True,
    ) -> dict[str, str]:
        """Nagios's status of the service once it is in that state (HARD unless told)."""
        return wait(
            lambda: (
                s
                if (s := self.status(host, service)).get("current_state") == state
                and (s.get("state_type") == HARD or not hard)
                else None
            ),
            f"{host}/{service} state {state}",
            timeout,
        )

    def incident(self, host: str = HOST, open_only: bool = True) -> tuple[Any, ...] | None:
        query = "SELECT id, ticket_id, run_id, opened_at, closed_at FROM monitoring_incidents "
        query += "WHERE host = ? " + ("AND open_key IS NOT NULL " if open_only else "")
        found = rows(self.server, query + "ORDER BY opened_at DESC LIMIT 1", host)
        return found[0] if found else None

    def enable(self, host: str) -> None:
        self.nagios.command(f"ENABLE_SVC_CHECK;{host};{SERVICE}")
        self.nagios.command(f"SCHEDULE_FORCED_SVC_CHECK;{host};{SERVICE};{int(time.time())}")

    def disable(self, host: str) -> None:
        self.nagios.command(f"DISABLE_SVC_CHECK;{host};{SERVICE}")

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.rt.get(f"/ticket/{ticket_id}").json()
        return answer

    def comments(self, ticket_id: str) -> list[str]:
        """The texts of the ticket's transactions (its creation and every comment)."""
        history = self.rt.get(
            f"/ticket/{ticket_id}/history", params={"per_page": 100, "fields": "Type"}
        ).json()["items"]
        texts = []
        for item in history:
            if item["Type"] not in ("Create", "Comment"):
                continue
            for att in self.rt.get(f"/transaction/{item['id']}/attachments").json()["items"]:
                content = self.rt.get(f"/attachment/{att['id']}").json().get("Content")
                if content:
                    texts.append(base64.b64decode(content).decode("utf-8", "replace"))
        return texts

    def handler_calls(self, host: str = HOST) -> list[str]:
        """The `SOFT;1`, `HARD;3` ... of each event handler call Nagios logged for host."""
        prefix = f"SERVICE EVENT HANDLER: {host};{SERVICE};"
        return [
            ";".join(line.split(prefix, 1)[1].split(";")[:3])
            for line in self.nagios.log_path.read_text().splitlines()
            if prefix in line
        ]


def wait(probe: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened within {timeout:.0f} s: {what}")


def _server(tmp: Path, lab: LabHandle, rt: RequestTracker, port: int, name: str) -> Server:
    sources = tmp / "webhooks.yml"
    sources.write_text(SOURCES)
    env = writing_back_to(rt, sources, FIXLINE_TICKET_BACKOFF_S="0.5")
    return Server(tmp / name, lab, tmp / f"{name}.log", port=port, extra_env=env)


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory, lab: LabHandle, request_tracker: RequestTracker
) -> Iterator[Loop]:
    tmp = tmp_path_factory.mktemp("nagios")
    extra = "".join(EXTRA_OBJECTS.format(host=host, port=DEAD_PORT) for host in (OFFLINE, UNMAPPED))
    nagios = LabNagios(tmp / "nagios", Path(FIXLINE), extra_objects=extra)
    server = _server(tmp, lab, request_tracker, free_port(), "data")
    server.extra_env["FIXLINE_NAGIOS_COMMAND_FILE"] = str(nagios.command_file)
    rt = rest_client(request_tracker)
    try:
        server.start()
        nagios.configure(str(server.client.base_url), SECRET)
        # The handler runs this checkout's fixline: Nagios passes its environment on.
        nagios.start()
    except LabError as exc:
        server.stop()
        pytest.fail(f"Nagios did not start: {exc.message} (`make system-deps` installs it)")
    the_loop = Loop(server, nagios, rt, tmp)
    yield the_loop
    nagios.stop()
    # A test may have put another server in its place.
    the_loop.server.stop()
    the_loop.server.client.close()
    rt.close()
    lab_service.start()  # whatever a test left stopped


def test_alert_incident_ticket_fix_recovery(loop: Loop) -> None:
    loop.wait_state(OK)
    before = lab_service.status()
    lab_service.stop()
    hard = loop.wait_state(CRITICAL)
    incident = wait(lambda: (i := loop.incident()) and i[2] and i, "an incident with its run")
    heard = datetime.fromisoformat(str(incident[3])).replace(tzinfo=UTC).timestamp()
    answering = wait(_restarted(before["pid"]), "the service answering again")
    back = time.time()
    run = loop.server.wait_for(incident[2], {"succeeded", "failed"}, timeout=120)
    assert run["status"] == "succeeded", run
    loop.wait_state(OK)
    closed = wait(lambda: (i := loop.incident(open_only=False)) and i[4] and i, "closed")
    assert closed[0] == incident[0]
    print(
        f"\nHARD CRITICAL (Nagios, 1 s resolution) -> answering: "
        f"{back - int(hard['last_hard_state_change']):.1f} s; "
        f"event handler's HARD -> answering: {back - heard:.1f} s (pid {answering['pid']})"
    )
    # SOFT 1, SOFT 2, HARD 3 all reached Fixline; one run, on the HARD.
    calls = loop.handler_calls()
    assert calls[:3] == ["CRITICAL;SOFT;1", "CRITICAL;SOFT;2", "CRITICAL;HARD;3"], calls
    nagios_runs = "SELECT COUNT(*) FROM runs WHERE requested_by = 'webhook:nagios'"
    assert rows(loop.server, nagios_runs) == [(1,)]
    ticket_id = incident[1]
    ticket = wait(
        lambda: (t := loop.ticket(ticket_id)) and field_value(t) and t, "the outcome on RT"
    )
    assert ticket["Subject"] == f"{SERVICE} on {HOST} is CRITICAL"
    assert ticket["Status"] == "resolved"
    assert field_value(ticket) == f"succeeded {run['id']}"
    texts = "\n".join(loop.comments(ticket_id))
    assert "Monitoring reported a HARD CRITICAL (attempt 3)" in texts
    assert "Fixline: service_restart on lab-host succeeded." in texts
    # The operator sees it in Nagios too (FIXLINE_NAGIOS_COMMAND_FILE).
    comment = f"Fixline: service_restart succeeded (run {run['id']}, ticket {ticket_id})"
    wait(lambda: comment in loop.nagios.comments(HOST, SERVICE), "the Nagios comment")


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
    wait(lambda: not list(loop.nagios.spool_dir.glob("*.json")), "an empty spool")


def test_an_event_fixline_missed_is_delivered_when_it_is_back(
    loop: Loop, lab: LabHandle, request_tracker: RequestTracker
) -> None:
    """Fixline down at the HARD CRITICAL: the handler spools it, Nagios's `Fixline events`
    check turns WARNING, and delivers it once Fixline answers again."""
    loop.wait_state(OK)
    loop.server.stop()
    # A fresh store: the incidents before (and their flap window) are not this test's.
    fresh = _server(loop.tmp, lab, request_tracker, loop.server.port, "data-2")
    fresh.extra_env["FIXLINE_NAGIOS_COMMAND_FILE"] = str(loop.nagios.command_file)
    loop.server.client.close()
    loop.server = fresh
    before = lab_service.status()
    lab_service.stop()
    loop.wait_state(CRITICAL)
    wait(lambda: list(loop.nagios.spool_dir.glob("*.json")), "the spooled event")
    # WARNING; SOFT is enough, and then Nagios retries every second, so the spool goes as
    # soon as Fixline answers.
    loop.wait_state("1", service="Fixline events", timeout=30, hard=False)
    fresh.start()
    incident = wait(lambda: (i := loop.incident()) and i[2] and i, "the delivered incident")
    wait(_restarted(before["pid"]), "the service answering again")
    run = fresh.wait_for(incident[2], {"succeeded", "failed"}, timeout=120)
    assert run["status"] == "succeeded", run
    loop.wait_state(OK)
    loop.wait_state(OK, service="Fixline events", timeout=30, hard=False)
    # The recovery is an event of its own: spooled first, then gone once Fixline answered.
    wait(lambda: not list(loop.nagios.spool_dir.glob("*.json")), "an empty spool")


def _restarted(old_pid: int) -> Any:
    def probe() -> dict[str, Any] | None:
        try:
            answer = lab_service.status()
        except LabError:
            return None
        return answer if answer["pid"] != old_pid else None

    return probe
