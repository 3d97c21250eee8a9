"""`fixline`'s simple commands import only what they need, so they start in well under a
second: no web framework, mail, Graph or Ansible libraries for reading runs, not even
SQLAlchemy once the store is migrated (runs/quick_read.py), and no database library at all
for `--help`. (What is imported, not how long it takes: timings belong to
bench/cli_startup.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runner_api.cli import app
from runner_api.database import Database
from runner_api.runs import quick_read
from runner_api.runs.store import RunStore
from runner_api.secrets.schemas import FORMS
from tests.runs.factories import fill_store

# Heavy libraries no simple command needs: the API's, the outside systems' and Ansible's.
SERVICE_ONLY = ("fastapi", "uvicorn", "exchangelib", "msal", "ansible_runner", "ldap3", "celery")
# What migrating the store needs; reading a migrated one and `--help` do not.
STORE = ("sqlalchemy", "alembic")

_PROBE = """
import json, sys
from runner_api.cli import app
code = 0
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
print("\\nIMPORTED " + json.dumps([code, sorted(sys.modules)]))
"""


@dataclass(frozen=True)
class Probe:
    """What one `fixline` command printed, its exit code and every module it imported."""

    stdout: str
    stderr: str
    code: int
    modules: frozenset[str]

    @property
    def packages(self) -> set[str]:
        return {name.split(".")[0] for name in self.modules}


def _probe(tmp_path: Path, *args: str, **more_env: str) -> Probe:
    env = {"FIXLINE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **more_env}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env={**env, **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    parts = done.stdout.rsplit("\nIMPORTED ", 1)
    assert len(parts) == 2, done.stdout + done.stderr
    code, modules = json.loads(parts[1])
    return Probe(parts[0], done.stderr, code, frozenset(modules))


def _imported(tmp_path: Path, *args: str) -> set[str]:
    return _probe(tmp_path, *args).packages


@pytest.mark.cli
@pytest.mark.parametrize(
    "args",
    [["--help"], ["run", "--help"], ["reveal", "--help"], ["secrets", "set", "--help"]],
)
def test_help_imports_no_database_and_no_service_library(tmp_path: Path, args: list[str]) -> None:
    imported = _imported(tmp_path, *args)
    assert not imported & {*SERVICE_ONLY, *STORE}, sorted(imported & {*SERVICE_ONLY, *STORE})


@pytest.mark.cli
def test_the_help_of_secrets_set_names_every_field_without_building_the_forms(
    tmp_path: Path,
) -> None:
    # Wide enough that no line of the help wraps.
    probe = _probe(tmp_path, "secrets", "set", "--help", COLUMNS="1000")
    assert "runner_api.secrets.schemas" not in probe.modules, "the forms were built for a help"
    for kind, form in FORMS.items():
        assert f"{kind}: {', '.join(form.model_fields)}" in probe.stdout


# What the listing and `show` are asked in these tests: every filter of `fixline runs`.
READS = [
    ["runs"],
    ["runs", "--ticket", "INC-1"],
    ["runs", "--ticket-prefix", "INC-10"],
    ["runs", "--customer", "beta"],
    ["runs", "--status", "succeeded"],
    ["runs", "--limit", "2"],
    ["runs", "--customer", "acme", "--ticket-prefix", "INC", "--status", "queued"],
    ["show", "no-such-run"],
]


@pytest.mark.cli
def test_reading_a_migrated_store_imports_neither_sqlalchemy_nor_alembic_and_prints_the_same(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On SQLite and on PostgreSQL (`database` is both): each command's output, exit code and
    # error are those of the path through RunStore (SQLAlchemy), which it used to take.
    runs = fill_store(RunStore(database))
    for args in [*READS, ["show", runs[4].id], ["show", runs[5].id]]:
        quick = _probe(tmp_path, *args, FIXLINE_DATABASE_URL=database.url)
        assert not quick.packages & {*STORE, *SERVICE_ONLY}, (
            args,
            quick.packages & {*STORE, *SERVICE_ONLY},
        )
        with monkeypatch.context() as patch:
            patch.setattr(quick_read, "open_reader", lambda _url: None)
            orm = CliRunner().invoke(app, args, env={"FIXLINE_DATABASE_URL": database.url})
        assert (quick.stdout, quick.stderr, quick.code) == (
            orm.stdout,
            orm.stderr,
            orm.exit_code,
        ), args
    shown = _probe(tmp_path, "show", runs[4].id, FIXLINE_DATABASE_URL=database.url).stdout
    assert "Grüße" in shown and "[lab-host] Gathering Facts" in shown, shown


@pytest.mark.cli
def test_a_new_store_is_migrated_through_the_store_and_read_directly_afterwards(
    tmp_path: Path, database_url: str
) -> None:
    first = _probe(tmp_path, "runs", FIXLINE_DATABASE_URL=database_url)
    assert (first.stdout, first.code) == ("no runs\n", 0), first.stderr
    assert "alembic" in first.packages, "a new store was not migrated"
    unknown = _probe(tmp_path, "show", "no-such-run", FIXLINE_DATABASE_URL=database_url)
    assert (unknown.code, unknown.stderr) == (2, "error: no run with id 'no-such-run'\n")
    assert not unknown.packages & set(STORE), "a migrated store was read through SQLAlchemy"


@pytest.mark.cli
def test_listing_the_actions_imports_neither_the_store_nor_any_client(tmp_path: Path) -> None:
    # Only the action modules of each package (runner_api/shipped.py), not their clients:
    # the packages export those lazily (runner_api/exports.py). ldap3 stays: the directory
    # package imports it first, once, with its import-time warnings muted.
    imported = _imported(tmp_path, "actions")
    heavy = {*SERVICE_ONLY, *STORE} - {"ldap3"}
    assert "runner_api" in imported and not imported & heavy, sorted(imported & heavy)
