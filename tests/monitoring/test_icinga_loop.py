"""The monitoring loop against a real Icinga 2: the lab's web service stops, Icinga goes SOFT
then HARD CRITICAL and runs the `fixline-event` EventCommand (the documented wiring, the
demo's `nagios` source mapping unchanged), Fixline opens the incident and an RT ticket and
restarts the service once, Icinga sees OK, the incident closes, and the ticket and Icinga's
own view (a comment through its command pipe) carry the outcome.

The cases that depend on Fixline only (flapping, a failed remediation, an unmapped host,
Fixline unreachable) are tested against Nagios in test_nagios_loop.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.demo_wiring import DEMO_SOURCES
from lab.icinga import LabIcinga
from lab.rt import RequestTracker
from tests.plugins.lab import LabHandle
from tests.plugins.monitoring import Loop, alert_to_recovery, running_loop
from tests.plugins.server import FIXLINE


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory, lab: LabHandle, request_tracker: RequestTracker
) -> Iterator[Loop]:
    tmp = tmp_path_factory.mktemp("icinga")
    icinga = LabIcinga(tmp / "icinga", Path(FIXLINE))
    with running_loop(tmp, lab, request_tracker, icinga, DEMO_SOURCES) as the_loop:
        yield the_loop


def test_alert_incident_ticket_fix_recovery(loop: Loop) -> None:
    # SOFT 1, SOFT 2, HARD 1: Icinga starts counting again at the hard state change.
    alert_to_recovery(loop, ["CRITICAL;SOFT;1", "CRITICAL;SOFT;2", "CRITICAL;HARD;1"])
