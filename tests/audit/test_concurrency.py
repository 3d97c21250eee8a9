"""One writer at a time: appends from threads and from two processes stay gapless and chained."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from runner_api.audit.log import AuditLog
from runner_api.audit.signing import load_or_create_signer
from runner_api.audit.verify import verify_chain
from runner_api.database import Database
from runner_api.runs.store import RunStore
from tests.audit.conftest import event
from tests.runs.factories import make_run

THREADS, PER_THREAD = 6, 25


def _hammer(audit: AuditLog, store: RunStore, worker: int, count: int) -> None:
    for n in range(count):
        if n % 5 == 0:  # mixed with run writes that carry their record in their transaction
            store.insert(make_run(worker * 1000 + n))
        else:
            audit.append(event(worker * 1000 + n))


def _process(url: str, key_file: str, worker: int) -> None:
    db = Database(url)
    audit = AuditLog(db, load_or_create_signer(Path(key_file)), checkpoint_records=40)
    threads = [
        threading.Thread(target=_hammer, args=(audit, RunStore(db, audit), worker * 10 + t, 20))
        for t in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()


def test_threads_and_two_processes_append_gaplessly(
    database: Database, audit: AuditLog, key_file: Path
) -> None:
    store = RunStore(database, audit)
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_process, args=(database.url, str(key_file), worker))
        for worker in (1, 2)
    ]
    for process in processes:
        process.start()
    threads = [
        threading.Thread(target=_hammer, args=(audit, store, 100 + t, PER_THREAD))
        for t in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    expected = THREADS * PER_THREAD + 2 * 3 * 20
    with database.engine.connect() as connection:
        report = verify_chain(connection, audit.signer.verifier)
    assert report.ok, report.problems
    assert report.records == report.head_seq == expected
    assert report.gaps == []
