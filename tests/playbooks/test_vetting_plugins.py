"""The `fixline_secret` lookup is vetted like the playbooks it serves: pinned with each of
them, staged into the run's folder, and an edit refuses every playbook until re-vetted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner_api.catalog.vetting import VettingLock, playbook_files
from runner_api.errors import NotVettedError

PROJECT = Path(__file__).resolve().parents[2]
PLUGIN = "playbooks/lookup_plugins/fixline_secret.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    for part in ("playbooks", "roles"):
        shutil.copytree(PROJECT / part, copy / part)
    return copy


def test_every_playbook_pins_the_plugins_beside_it(project: Path) -> None:
    for playbook in ("smoke_check", "cert_install", "vpn_access", "service_restart"):
        assert PLUGIN in playbook_files(project, playbook)
    # Python's bytecode caches next to the plugin are not part of what was reviewed.
    cache = project / "playbooks" / "lookup_plugins" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "fixline_secret.cpython-311.pyc").write_bytes(b"\0")
    assert not [name for name in playbook_files(project, "smoke_check") if "__pycache__" in name]


def test_an_edited_plugin_refuses_every_playbook_until_vetted(
    project: Path, tmp_path: Path
) -> None:
    lock = VettingLock(project)
    for action in ("smoke_check", "service_restart"):
        lock.vet(action, action, by="tests")
    plugin = project / PLUGIN
    plugin.write_text(plugin.read_text() + "\n# edited after review\n")

    for action in ("smoke_check", "service_restart"):
        with pytest.raises(NotVettedError) as refused:
            lock.verify(action, action)
        assert refused.value.details["changed"] == [PLUGIN]

    lock.vet("smoke_check", "smoke_check", by="tests")
    staged = tmp_path / "staged"
    lock.stage("smoke_check", "smoke_check", staged)
    assert (staged / PLUGIN).read_text() == plugin.read_text()
