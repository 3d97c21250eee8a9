"""The Entra ID app credential (kind `graph`): folder, import, store and API, key never shown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from runner_api.app import create_app
from runner_api.core import Core
from runner_api.secrets.credentials import FileCredentialSource, GraphCredential
from runner_api.secrets.importer import import_folder
from runner_api.secrets.store import EncryptedCredentialSource
from tests.secrets.apps import settings_without_lab
from tests.secrets.canary import CERTIFICATE, assert_absent, canary, dump, private_key

ADMIN = {"Authorization": "Bearer credentials-admin-0123456789"}
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


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core(settings_without_lab(tmp_path, bootstrap_token=ADMIN["Authorization"][7:]))


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core)) as client:
        yield client


def test_the_api_takes_it_write_only(client: TestClient, core: Core) -> None:
    key = private_key(canary("graph"))
    body = {
        "tenant_id": "tenant-1",
        "client_id": "client-1",
        "certificate": CERTIFICATE,
        "private_key": key,
    }
    answers = [client.put("/credentials/lab/graph", json=body, headers=ADMIN)]
    assert answers[0].status_code == 200, answers[0].text
    assert set(answers[0].json()["fields"]) == set(body) | {"ca_pem"}
    answers.append(client.get("/credentials/lab", headers=ADMIN))
    bad = body | {"certificate": "not a certificate", "client_secret": key}
    answers.append(client.put("/credentials/lab/graph", json=bad, headers=ADMIN))
    assert answers[-1].status_code == 422
    for answer in answers:
        assert_absent(answer.text, key)
    assert core.credentials.graph_credential("lab") == _credential(key, ca_pem="")
    assert_absent(dump(core.db), key)
