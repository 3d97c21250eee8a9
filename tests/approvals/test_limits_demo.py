"""The README's demo lines, many times over, on the default settings: never a 429.

The demo lines are `fixline run smoke_check ... --param host=lab-host --wait` and
`fixline run service_restart ... --param host=lab-host --param unit=fixline-lab-web
--wait`: two runs on one host by one requester. Here they go through the same
`start_run` (channel cli), without the lab: the limits are checked before anything runs,
and this Core's pool is never started, so the runs stay queued.
"""

from __future__ import annotations

from pathlib import Path

from runner_api.core import Core
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from tests.authz.conftest import lab_free_settings

DEMO_LINES = [
    ("smoke_check", "DEMO-1", {"host": "lab-host"}),
    ("service_restart", "DEMO-2", {"host": "lab-host", "unit": "fixline-lab-web"}),
]


def test_a_newcomer_follows_the_readme_twenty_times(tmp_path: Path) -> None:
    core = Core(lab_free_settings(tmp_path))
    core.open_store()
    try:
        for _ in range(20):
            for action, ticket, params in DEMO_LINES:
                run = core.runs.start_run(
                    RunRequest(
                        customer="lab",
                        ticket_id=ticket,
                        action=action,
                        params=params,
                        requested_by="newcomer@cli",
                        channel=Channel.CLI,
                        requester_id="os:newcomer",
                    )
                )
                assert run.status == "queued"
    finally:
        core.stop()
