"""The host's private key reaches the host, and nothing else on this machine: no file on disk
outside the host's own folders, no command line, environment, event or store row. Watched
while the run runs (tests/playbooks/spy.py), for an issued key and for a supplied one."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lab import tls_service
from runner_api.core import Core
from runner_api.pki.policy import Identity, Template
from runner_api.settings import Settings
from tests.pki.leaks import assert_keys_nowhere, key_forms
from tests.pki.test_cert_lab import _bundle, run
from tests.playbooks.spy import Spy
from tests.plugins.lab import LabHandle

# The lab host is this machine. Its side: Ansible's remote temp folder of the run (where
# copy puts the key before moving it into place) and the key's own folder.
HOST_SIDE = ("/root/.ansible/tmp/fixline-", f"{tls_service.TLS_DIR}/")


def _flat(text: str) -> str:
    # A key split over escaped or real newlines, or repr'd twice, is still the key.
    return re.sub(r"\\+n|\s", "", text)


def _written_elsewhere(spy: Spy, key_pem: str) -> list[str]:
    """Files written outside the host side that hold a form of the key."""
    forms = [_flat(form) for form in key_forms(key_pem)]
    return [
        name
        for name, content in spy.kept
        if not name.startswith(HOST_SIDE)
        and any(form in _flat(content.decode("latin-1")) for form in forms)
    ]


def _assert_watched(spy: Spy, run_id: str) -> None:
    """The search was not empty: the run was seen live, with its files."""
    assert spy.seen.live_scans >= 3, spy.seen
    assert f"{run_id}/artifacts/{run_id}/command" in spy.seen.files
    assert any(name.startswith(HOST_SIDE) for name, _ in spy.kept), "no key write seen at all"


def test_an_issued_key_reaches_the_host_and_nothing_else(
    client: TestClient, settings: Settings, lab: LabHandle
) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    with Spy(settings.resolved_work_dir, markers=["PRIVATE KEY"], host_side=HOST_SIDE) as spy:
        ended = run(client, "cert_issue_install", "INC-S4K", host="lab-host")
    assert ended["status"] == "succeeded", ended
    host_key = tls_service.KEY.read_text()

    assert not spy.hits, "\n".join(sorted(map(str, spy.hits)))
    assert _written_elsewhere(spy, host_key) == []
    _assert_watched(spy, ended["id"])
    ca_key = (lab.credentials_dir / "lab" / "ca" / "private_key.pem").read_text()
    events = client.get(f"/runs/{ended['id']}/events", params={"stream": False}).text
    assert "PRIVATE KEY" not in events + str(ended)
    assert_keys_nowhere(core.settings.data_dir, core.db, ca_key, host_key)


def test_a_supplied_key_reaches_the_host_and_nothing_else(
    client: TestClient, settings: Settings, lab: LabHandle
) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    bundle = _bundle(lab, Identity("lab-host", dns_names=("lab-host",)), Template.SERVER)
    key_pem = bundle[bundle.index("-----BEGIN PRIVATE KEY-----") :]
    needles = key_forms(key_pem)
    with Spy(
        settings.resolved_work_dir, needles, markers=["PRIVATE KEY"], host_side=HOST_SIDE
    ) as spy:
        ended = run(client, "cert_install", "INC-S4B", host="lab-host", bundle=bundle)
    assert ended["status"] == "succeeded", ended
    assert tls_service.KEY.read_text().strip() == key_pem.strip()

    assert not spy.hits, "\n".join(sorted(map(str, spy.hits)))
    assert _written_elsewhere(spy, key_pem) == []
    _assert_watched(spy, ended["id"])
    assert_keys_nowhere(core.settings.data_dir, core.db, key_pem)
