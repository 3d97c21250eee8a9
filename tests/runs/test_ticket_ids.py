"""One ticket-id check for every channel: start_run and check refuse what the API's pattern
refuses, whoever asks (a webhook rule, the CLI, monitoring, a schedule), before anything is
recorded or run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_api.core import Core
from runner_api.runs.filters import RunFilter
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.ticket_ids import InvalidTicketIdError
from runner_api.settings import Settings
from tests.plugins.lab import PROJECT_DIR

BAD = [
    "{{ lookup('pipe', 'id') }}",
    "",
    "-INC-1",
    "INC 1",
    "INC-1\n",
    "INC-1\x00",
    "x" * 65,
    "{% raw %}",
]


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    """A migrated Core without the lab and without workers: refusals come before both."""
    settings = Settings(
        data_dir=tmp_path / "data",
        project_dir=PROJECT_DIR,
        credentials_dir=tmp_path / "no-credentials",
        workers=1,
    )
    core = Core(settings)
    core.open_store()
    yield core
    core.stop()


def request(ticket_id: str, channel: Channel) -> RunRequest:
    return RunRequest(
        customer="lab",
        ticket_id=ticket_id,
        action="smoke_check",
        params={"host": "lab-host"},
        requested_by="tester",
        channel=channel,
        requester_id="test:tester",
    )


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_refuses_a_bad_ticket_id_before_anything_is_recorded(
    core: Core, channel: Channel
) -> None:
    for ticket_id in BAD:
        with pytest.raises(InvalidTicketIdError) as refused:
            core.runs.start_run(request(ticket_id, channel))
        assert refused.value.code == "invalid_ticket_id"
        assert refused.value.details == {"field": "ticket_id"}
        with pytest.raises(InvalidTicketIdError):
            core.runs.check(request(ticket_id, channel))
    runs, _ = core.runs.list_runs(RunFilter(), 10, None)
    assert runs == []


def test_good_ticket_ids_pass(core: Core) -> None:
    for ticket_id in ("INC-1042", "42", "MON-1a2b3c4d", "rt:General#7", "a" * 64):
        core.runs.check(request(ticket_id, Channel.WEBHOOK))
