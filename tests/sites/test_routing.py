"""Site routing against real Redis, PostgreSQL, Samba DCs and `fixline worker` processes."""

from __future__ import annotations

import base64
import json
import time

from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.sites import SiteLab, wait_status

TERMINAL = {"succeeded", "failed", "refused", "canceled", "timed_out", "interrupted"}


def _audit_actors(site_lab: SiteLab, run_id: str, kind: str) -> list[str]:
    page = site_lab.server.client.get(
        "/audit/records", params={"run_id": run_id, "type": kind, "limit": 100}
    ).json()
    return [str(record["actor"]) for record in page["items"]]


def test_each_site_runs_only_its_customers_runs(
    fresh_directory_lab: DirectoryLabHandle, site_lab: SiteLab
) -> None:
    worker_a = site_lab.worker("branch-a")
    worker_a.start()
    lab_run = site_lab.start_run("lab", "account_unlock", username="chloe.nguyen")
    contoso_run = site_lab.start_run("contoso", "account_unlock", username="uma.patel")
    done = wait_status(site_lab.server, lab_run, TERMINAL)
    assert done["status"] == "succeeded", done
    # Nobody consumes branch-b: its run waits, on its own queue, untouched by worker A.
    time.sleep(3)
    waiting = site_lab.server.client.get(f"/runs/{contoso_run}").json()
    assert waiting["status"] == "queued", waiting
    assert site_lab.queued_messages("branch-b"), "the branch-b run is not on its queue"

    worker_b = site_lab.worker("branch-b")
    worker_b.start()
    done_b = wait_status(site_lab.server, contoso_run, TERMINAL)
    assert done_b["status"] == "succeeded", done_b
    # Who ran what: the running record names the worker process of the run's site.
    assert any(f":{worker_a.pid}:" in a for a in _audit_actors(site_lab, lab_run, "run.running"))
    assert any(
        f":{worker_b.pid}:" in a for a in _audit_actors(site_lab, contoso_run, "run.running")
    )


def test_a_worker_cannot_claim_another_sites_run(
    fresh_directory_lab: DirectoryLabHandle, site_lab: SiteLab
) -> None:
    run_id = site_lab.start_run("contoso", "account_unlock", username="uma.patel")
    token_a = site_lab.token(["lab"])
    claim = site_lab.server.client.post(
        f"/worker/runs/{run_id}/claim",
        json={"worker": "forged:1:1", "site": "branch-a"},
        headers={"Authorization": f"Bearer {token_a}"},
    )
    assert claim.status_code == 404, claim.text
    # Even a token that names the customer cannot claim it under the wrong site.
    wide = site_lab.token(["lab", "contoso"])
    claim = site_lab.server.client.post(
        f"/worker/runs/{run_id}/claim",
        json={"worker": "forged:1:1", "site": "branch-a"},
        headers={"Authorization": f"Bearer {wide}"},
    )
    assert claim.status_code == 404, claim.text
    # People cannot claim runs at all, admins included.
    admin = site_lab.server.client.post(
        f"/worker/runs/{run_id}/claim", json={"worker": "x:1:1", "site": "branch-b"}
    )
    assert admin.status_code == 403, admin.text
    assert site_lab.server.client.get(f"/runs/{run_id}").json()["status"] == "queued"


def test_the_broker_carries_run_ids_only(
    fresh_directory_lab: DirectoryLabHandle, site_lab: SiteLab
) -> None:
    run_id = site_lab.start_run("contoso", "account_unlock", username="uma.patel")
    messages = site_lab.queued_messages("branch-b")
    assert messages, "the run is not on its site's queue"
    for raw in messages:  # the sweep may have published it again meanwhile: same content
        args, kwargs, _ = json.loads(base64.b64decode(json.loads(raw)["body"]))
        assert (args, kwargs) == ([run_id], {})
        # Nothing of the request rides along: not the account, not the action.
        text = raw.decode() + json.dumps([args, kwargs])
        assert "uma.patel" not in text and "account_unlock" not in text
