"""The monitoring loop against a real Nagios 4 or Icinga 2 of the lab: one Fixline writing to
the session's RT, the daemon calling `fixline nagios-event` (the documented wiring), and the
whole path from the lab web service stopping to the outcome on the ticket.

Every wait is for a condition: the daemon's status file and event log, the store, RT's
REST 2 API.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab import lab_service
from lab.monitor import LabMonitor
from lab.nagios import HOST, SERVICE
from lab.process import LabError
from lab.rt import RequestTracker
from tests.plugins.lab import LabHandle
from tests.plugins.rt import rest_client, writing_back_to
from tests.plugins.server import Server, free_port
from tests.plugins.webhooks import SECRET, rows
from tests.tickets.test_rt_end_to_end import field_value

CRITICAL, OK, HARD = "2", "0", "1"


@dataclass
class Loop:
    """The module's Fixline, monitoring daemon and RT."""

    server: Server
    monitor: LabMonitor
    rt: httpx.Client
    tmp: Path

    def status(self, host: str = HOST, service: str = SERVICE) -> dict[str, str]:
        return self.monitor.service_status(host, service)

    def wait_state(
        self,
        state: str,
        host: str = HOST,
        service: str = SERVICE,
        timeout: float = 60,
        hard: bool = True,
    ) -> dict[str, str]:
        """The daemon's status of the service once it is in that state (HARD unless told)."""
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
        self.monitor.command(f"ENABLE_SVC_CHECK;{host};{SERVICE}")
        self.monitor.command(f"SCHEDULE_FORCED_SVC_CHECK;{host};{SERVICE};{int(time.time())}")

    def disable(self, host: str) -> None:
        self.monitor.command(f"DISABLE_SVC_CHECK;{host};{SERVICE}")

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


def wait(probe: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened within {timeout:.0f} s: {what}")


def monitored_server(
    loop_tmp: Path,
    lab: LabHandle,
    rt: RequestTracker,
    monitor: LabMonitor,
    sources: str,
    name: str,
    port: int,
) -> Server:
    """A Fixline (not started) with these webhook sources, writing outcomes to RT and its
    comments to the daemon's command pipe (FIXLINE_NAGIOS_COMMAND_FILE)."""
    sources_file = loop_tmp / "webhooks.yml"
    sources_file.write_text(sources)
    env = writing_back_to(
        rt,
        sources_file,
        FIXLINE_TICKET_BACKOFF_S="0.5",
        FIXLINE_NAGIOS_COMMAND_FILE=str(monitor.command_file),
    )
    return Server(loop_tmp / name, lab, loop_tmp / f"{name}.log", port=port, extra_env=env)


@contextmanager
def running_loop(
    tmp: Path, lab: LabHandle, rt: RequestTracker, monitor: LabMonitor, sources: str
) -> Iterator[Loop]:
    """Fixline on a fresh store and the daemon calling it, for one test module."""
    server = monitored_server(tmp, lab, rt, monitor, sources, "data", free_port())
    rt_client = rest_client(rt)
    try:
        server.start()
        monitor.configure(str(server.client.base_url), SECRET)
        # The handler runs this checkout's fixline: the daemon passes its environment on.
        monitor.start()
    except LabError as exc:
        server.stop()
        pytest.fail(
            f"{monitor.label} did not start: {exc.message} (`make system-deps` installs it)"
        )
    loop = Loop(server, monitor, rt_client, tmp)
    try:
        yield loop
    finally:
        monitor.stop()
        # A test may have put another server in its place.
        loop.server.stop()
        loop.server.client.close()
        rt_client.close()
        lab_service.start()  # whatever a test left stopped


def alert_to_recovery(loop: Loop, calls: list[str]) -> None:
    """The whole loop: the lab web service stops, the daemon goes SOFT then HARD CRITICAL
    calling the handler each time (`calls`, as its event log has them), Fixline opens the
    incident and an RT ticket and runs service_restart once, the daemon sees OK, the incident
    closes, and the ticket and the daemon's own view carry the outcome."""
    label = loop.monitor.label
    loop.wait_state(OK)
    before = lab_service.status()
    called = len(loop.monitor.handler_calls(HOST, SERVICE))
    lab_service.stop()
    hard = loop.wait_state(CRITICAL)
    incident = wait(lambda: (i := loop.incident()) and i[2] and i, "an incident with its run")
    heard = datetime.fromisoformat(str(incident[3])).replace(tzinfo=UTC).timestamp()
    answering = wait(restarted(before["pid"]), "the service answering again")
    back = time.time()
    run = loop.server.wait_for(incident[2], {"succeeded", "failed"}, timeout=120)
    assert run["status"] == "succeeded", run
    loop.wait_state(OK)
    closed = wait(lambda: (i := loop.incident(open_only=False)) and i[4] and i, "closed")
    assert closed[0] == incident[0]
    print(
        f"\nHARD CRITICAL ({label}, 1 s resolution) -> answering: "
        f"{back - int(hard['last_hard_state_change']):.1f} s; "
        f"event handler's HARD -> answering: {back - heard:.1f} s (pid {answering['pid']})"
    )
    # Every SOFT and the HARD reached Fixline; one run, on the HARD.
    logged = loop.monitor.handler_calls(HOST, SERVICE)[called:]
    assert logged[: len(calls)] == calls, logged
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
    attempt = calls[-1].rsplit(";", 1)[1]
    assert f"Monitoring reported a HARD CRITICAL (attempt {attempt})" in texts
    assert "Fixline: service_restart on lab-host succeeded." in texts
    # The operator sees it in the daemon too (FIXLINE_NAGIOS_COMMAND_FILE).
    comment = f"Fixline: service_restart succeeded (run {run['id']}, ticket {ticket_id})"
    wait(lambda: comment in loop.monitor.comments(HOST, SERVICE), f"the {label} comment")


def restarted(old_pid: int) -> Any:
    def probe() -> dict[str, Any] | None:
        try:
            answer = lab_service.status()
        except LabError:
            return None
        return answer if answer["pid"] != old_pid else None

    return probe
