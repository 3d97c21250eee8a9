"""A secret parameter reaches the host, and nothing else: not a file on this machine's disk
(run folder, artifacts, Ansible's temp files), not a command line or environment, not an
event, not the store. Watched while the run runs (tests/playbooks/spy.py)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from runner_api.core import Core
from runner_api.settings import Settings
from tests.api.conftest import wait_for_end
from tests.playbooks.spy import Spy, on_tmpfs
from tests.secrets.canary import assert_absent, canary, dump, forms

# The lab host is this machine: what the host side writes is seen too, and allowed there.
# Ansible's remote temp folder of the run (module files), and the round trip's own file.
HOST_SIDE = ("/root/.ansible/tmp/fixline-", "/tmp/fixline-smoke.")


def test_a_secret_parameter_reaches_the_host_and_nothing_else(
    client: TestClient, settings: Settings
) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    secret = canary("delivery")
    work_dir = settings.resolved_work_dir
    body = {
        "customer": "lab",
        "ticket_id": "INC-S4",
        "action": "smoke_check",
        "params": {"host": "lab-host", "secret": secret},
    }

    with Spy(work_dir, needles=forms(secret), host_side=HOST_SIDE) as spy:
        created = client.post("/runs", json=body)
        assert created.status_code == 202, created.text
        run_id = created.json()["id"]
        ended = wait_for_end(client, run_id)

    assert ended["status"] == "succeeded", ended
    assert ended["summary"].endswith("secret arrived intact")
    assert not spy.hits, "\n".join(sorted(map(str, spy.hits)))
    # The search was not empty: it saw the run live, its files, and the secret on the host.
    assert spy.seen.live_scans >= 3, spy.seen
    assert any("--limit lab-host" in line for line in spy.seen.playbook_cmdlines)
    assert f"{run_id}/artifacts/{run_id}/command" in spy.seen.files
    assert f"{run_id}/project/playbooks/smoke_check.yml" in spy.seen.files
    # Where Ansible writes module files (the secret among their arguments): RAM only.
    assert spy.seen.local_tmps, spy.seen
    assert all(on_tmpfs(folder) for folder in spy.seen.local_tmps), spy.seen.local_tmps
    assert any(hit.name.startswith("/tmp/fixline-smoke.") for hit in spy.host_hits), (
        "the spy did not see the secret written on the host side: is it watching writes?"
    )
    events = client.get(f"/runs/{run_id}/events", params={"stream": False}).json()
    answers = json.dumps([ended, events])
    assert_absent(answers, secret)
    assert_absent(dump(core.db), secret)
    leftovers = "".join(
        p.read_bytes().decode("latin-1") for p in Path(settings.data_dir).rglob("*") if p.is_file()
    )
    assert_absent(leftovers, secret)
