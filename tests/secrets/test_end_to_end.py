"""A real run over SSH to the lab with its key read from the encrypted store only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.core import Core
from runner_api.secrets.importer import import_folder
from runner_api.settings import Settings
from tests.api.conftest import AUTH, TOKEN, wait_for_end
from tests.plugins.lab import LabHandle
from tests.secrets.canary import assert_absent, dump


def test_smoke_check_runs_with_the_key_from_the_store(tmp_path: Path, lab: LabHandle) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        project_dir=lab.project_dir,
        # No folder to fall back on: the store is the only source.
        credentials_dir=tmp_path / "no-credentials",
        bootstrap_token=TOKEN,
        workers=1,
    )
    core = Core(settings)
    core.open_store()
    assert "lab/ssh" in import_folder(lab.hand_over(tmp_path / "handover"), core.credentials)
    with TestClient(create_app(settings, core), headers=AUTH) as client:
        body = {
            "customer": "lab",
            "ticket_id": "SEC-1",
            "action": "smoke_check",
            "params": {"host": "lab-host"},
        }
        started = client.post("/runs", json=body)
        assert started.status_code == 202, started.text
        final = wait_for_end(client, started.json()["id"])
        assert final["status"] == "succeeded", final
    private_key = lab.credentials.ssh_credential("lab").private_key.get_secret_value()
    key_body = private_key.split("-----")[2].strip().splitlines()[0]
    assert_absent(dump(core.db), key_body)
