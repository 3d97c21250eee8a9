"""The Entra ID app credential (kind `graph`): folder and import, the key never shown (the
API: tests/secrets/test_api.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from runner_api.secrets.credentials import FileCredentialSource, GraphCredential
from runner_api.secrets.importer import import_folder
from runner_api.secrets.store import EncryptedCredentialSource
from tests.secrets.canary import CERTIFICATE, assert_absent, canary, private_key

CA = CERTIFICATE.replace("fake", "fakeca")


def _credential(secret: str, ca_pem: str = CA) -> GraphCredential:
    return GraphCredential("tenant-1", "client-1", CERTIFICATE, SecretStr(secret), ca_pem)


def test_the_folder_round_trips_with_and_without_a_ca(tmp_path: Path) -> None:
    files, key = FileCredentialSource(tmp_path), private_key(canary("graph"))
    files.store_graph_credential("lab", _credential(key))
    files.store_graph_credential("contoso", _credential(key, ca_pem=""))
    assert files.graph_credential("lab") == _credential(key)
    assert files.graph_credential("contoso").ca_pem == ""
    folder = tmp_path / "lab" / "graph"
    assert sorted(path.name for path in folder.iterdir()) == [
        "ca.pem",
        "certificate.pem",
        "client_id",
        "private_key.pem",
        "tenant_id",
    ]
    assert {path.stat().st_mode & 0o777 for path in folder.iterdir()} == {0o600}


def test_import_seals_it_logs_no_key_and_removes_the_files(
    store: EncryptedCredentialSource, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key, folder = private_key(canary("graph")), tmp_path / "credentials"
    FileCredentialSource(folder).store_graph_credential("lab", _credential(key))
    with caplog.at_level(logging.DEBUG):
        assert import_folder(folder, store) == ["lab/graph"]
    assert not (folder / "lab" / "graph").exists()
    assert store.graph_credential("lab") == _credential(key)
    assert_absent(caplog.text + repr(store.graph_credential("lab")), key)
