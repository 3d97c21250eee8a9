"""A real `fixline serve` with webhook sources, and no lab: runs are recorded and then fail
fast (the customer has no credentials here), which is all idempotency tests need."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from lab import Lab
from runner_api.secrets.credentials import FileCredentialSource
from tests.plugins.lab import PROJECT_DIR, LabHandle
from tests.plugins.server import Server

SECRET = "webhook-secret-0123456789abcdef"
OLD_SECRET = "old-webhook-secret-0123456789"
SOURCES = """\
version: 1
sources:
  generic:
    customers: [lab]
  helpdesk:
    customers: [lab]
    rules: &unlock-rules
      - name: unlock-from-form
        match: {queue: General}
        contains: {subject: locked out}
        customer: lab
        action: account_unlock
        params_from: {username: requestor}
  legacy:
    customers: [lab]
    accept_v1_signatures: true
    rules: *unlock-rules
  nagios:
    customers: [lab]
    services:
      - host: lab-host
        service: LDAP
        customer: lab
        action: account_unlock
        params: {username: svc-monitor}
"""


def no_lab(tmp_path: Path) -> LabHandle:
    """Just the folders a server needs: an empty credentials folder, this checkout."""
    credentials_dir = tmp_path / "credentials"
    return LabHandle(
        cast(Lab, None), FileCredentialSource(credentials_dir), credentials_dir, PROJECT_DIR
    )


def webhook_env(sources_file: Path, **extra: str) -> dict[str, str]:
    """Settings of a server with these sources and the test secrets; limits off."""
    secrets = {
        name: [SECRET, OLD_SECRET] for name in ("generic", "helpdesk", "legacy", "nagios", "rt")
    }
    return {
        "FIXLINE_WEBHOOK_SOURCES_FILE": str(sources_file),
        "FIXLINE_WEBHOOK_SECRETS": json.dumps(secrets),
        "FIXLINE_RATE_LIMIT_REQUESTER_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_ACTION_PER_MINUTE": "0",
        "FIXLINE_APPROVAL_REPEAT_RESET_S": "0",
        "FIXLINE_WORKERS": "4",
        **extra,
    }


@pytest.fixture
def hook_server(tmp_path: Path) -> Iterator[Server]:
    sources = tmp_path / "webhooks.yml"
    sources.write_text(SOURCES)
    server = Server(
        data_dir=tmp_path / "data",
        lab=no_lab(tmp_path),
        log_path=tmp_path / "service.log",
        extra_env=webhook_env(sources),
    )
    server.start()
    yield server
    server.stop()
    server.client.close()


def rows(server: Server, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the server's SQLite store directly (counts the tests assert on)."""
    with sqlite3.connect(server.data_dir / "fixline.db") as db:
        return list(db.execute(query, args))
