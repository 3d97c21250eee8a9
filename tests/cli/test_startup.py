"""`fixline`'s simple commands import only what they need, so they start in well under a
second: no web framework, mail, Graph or Ansible libraries for reading runs, and not even
the database library for `--help`. (What is imported, not how long it takes: timings belong
to bench/cli_startup.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Heavy libraries no simple command needs: the API's, the outside systems' and Ansible's.
SERVICE_ONLY = ("fastapi", "uvicorn", "exchangelib", "msal", "ansible_runner", "ldap3", "celery")
# What reading the store needs, and `--help` does not.
STORE = ("sqlalchemy", "alembic")

_PROBE = """
import json, sys
from runner_api.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print("\\nIMPORTED " + json.dumps(sorted(sys.modules)))
"""


def _imported(tmp_path: Path, *args: str) -> set[str]:
    env = {"FIXLINE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env={**env, **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = done.stdout.rsplit("\nIMPORTED ", 1)
    assert len(line) == 2, done.stdout + done.stderr
    return {name.split(".")[0] for name in json.loads(line[1])}


@pytest.mark.cli
@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["reveal", "--help"]])
def test_help_imports_no_database_and_no_service_library(tmp_path: Path, args: list[str]) -> None:
    imported = _imported(tmp_path, *args)
    assert not imported & {*SERVICE_ONLY, *STORE}, sorted(imported & {*SERVICE_ONLY, *STORE})


@pytest.mark.cli
@pytest.mark.parametrize("args", [["runs"], ["show", "no-such-run"]])
def test_reading_runs_imports_the_store_and_no_service_library(
    tmp_path: Path, args: list[str]
) -> None:
    imported = _imported(tmp_path, *args)
    assert "sqlalchemy" in imported, "the command did not reach the store"
    assert not imported & set(SERVICE_ONLY), sorted(imported & set(SERVICE_ONLY))


@pytest.mark.cli
def test_listing_the_actions_imports_neither_the_store_nor_any_client(tmp_path: Path) -> None:
    # Only the action modules of each package (runner_api/shipped.py), not their clients:
    # the packages export those lazily (runner_api/exports.py). ldap3 stays: the directory
    # package imports it first, once, with its import-time warnings muted.
    imported = _imported(tmp_path, "actions")
    heavy = {*SERVICE_ONLY, *STORE} - {"ldap3"}
    assert "runner_api" in imported and not imported & heavy, sorted(imported & heavy)
