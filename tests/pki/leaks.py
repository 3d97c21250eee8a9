"""Searching a Fixline data folder (store, logs, run folders) for private keys."""

from __future__ import annotations

import re
from pathlib import Path

from runner_api.database import Database
from tests.secrets.canary import assert_absent, dump


def key_forms(pem: str) -> list[str]:
    """The PEM itself, its base64 body on one line, and each 64-character body line."""
    body = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    return [pem.strip(), "".join(body), *[line for line in body if len(line) >= 32]]


def assert_keys_nowhere(data_dir: Path, database: Database, *pems: str) -> None:
    """No form of any key in the store's dump or any file under the data folder."""
    haystack = dump(database) + "".join(
        path.read_bytes().decode("latin-1") for path in data_dir.rglob("*") if path.is_file()
    )
    assert_keys_absent(haystack, *pems)


def assert_keys_absent(haystack: str, *pems: str) -> None:
    """No form of any key in `haystack` (a dump, a log, API answers, mails)."""
    flat = re.sub(r"\\n|\s", "", haystack)  # keys split over escaped or real newlines
    for pem in pems:
        for form in key_forms(pem):
            assert_absent(haystack, form)
            assert re.sub(r"\s", "", form) not in flat, "a private key is in the haystack"
