"""Site runs end to end: secrets through a site worker, and a site nobody serves."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select

from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.sites import SiteLab, wait_status

TERMINAL = {"succeeded", "failed", "refused", "canceled", "timed_out", "interrupted"}
VERIFIED = {"method": "callback", "note": "called back on the number on file"}


def _forms(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, base64.b64encode(raw).rstrip(b"=")]


def _store_dump(url: str) -> bytes:
    """Every row of every table of the (PostgreSQL) store, as text."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection)
            rows = [
                repr(list(row))
                for table in metadata.sorted_tables
                for row in connection.execute(select(table))
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


def _files(root: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for path in root.rglob("*") if path.is_file()]


def test_a_reset_through_a_site_worker_is_revealed_once_and_stored_nowhere(
    fresh_directory_lab: DirectoryLabHandle, site_lab: SiteLab
) -> None:
    site_lab.worker("branch-a").start()
    run_id = site_lab.start_run(
        "lab", "password_reset", username="henry.moreau", caller_verification=VERIFIED
    )
    run = wait_status(site_lab.server, run_id, TERMINAL)
    assert run["status"] == "succeeded", run
    details = run["details"]
    assert isinstance(details, dict)
    reveal = site_lab.server.client.post(f"/reveals/{details['reveal_id']}")
    assert reveal.status_code == 200, reveal.text
    password = str(reveal.json()["password"])
    assert site_lab.server.client.post(f"/reveals/{details['reveal_id']}").status_code in (
        404,
        410,
    )
    # The worker's events reached the API, redacted.
    events = site_lab.server.client.get(f"/runs/{run_id}/events", params={"stream": False})
    assert events.status_code == 200 and events.json(), events.text
    # Nowhere: the shared store, every file of the central server and of the worker (their
    # data dirs and logs), the API's answers, the broker.
    store = _store_dump(site_lab.database_url)
    assert run_id.encode() in store  # the dump does see the shared store's rows
    haystacks = [(Path("store"), store)]
    haystacks += _files(site_lab.root)
    haystacks.append((Path("answers"), events.content))
    haystacks.append((Path("run"), site_lab.server.client.get(f"/runs/{run_id}").content))
    haystacks += [(Path("broker"), m) for m in site_lab.queued_messages("branch-a")]
    hits = [str(path) for path, data in haystacks for form in _forms(password) if form in data]
    assert hits == []


def test_a_site_run_no_worker_takes_fails_with_the_reason(
    site_lab_factory: Callable[..., SiteLab],
) -> None:
    site_lab = site_lab_factory(FIXLINE_SITE_QUEUE_TIMEOUT_S="10")
    run_id = site_lab.start_run("contoso", "account_unlock", username="uma.patel")
    run = wait_status(site_lab.server, run_id, TERMINAL, timeout=40)
    assert run["status"] == "failed", run
    assert "no worker of site 'branch-b'" in str(run["error"])
    assert "nothing was changed" in str(run["error"])
