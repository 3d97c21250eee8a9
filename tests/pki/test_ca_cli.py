"""`fixline ca create|import|show`: the certificate and fingerprint are printed, never a key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from runner_api.pki.authority import new_ca
from runner_api.pki.keys import private_pem
from tests.plugins.server import FIXLINE, fixline_env
from tests.plugins.webhooks import no_lab

# Each `fixline` command is a process of its own (about 4 s of start-up).
pytestmark = pytest.mark.cli


def _fixline(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FIXLINE, *args], env=env, input=stdin, capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip


def test_create_import_show(tmp_path: Path) -> None:
    # No lab: the CA lives in the credential store, which the command opens itself.
    env = fixline_env(tmp_path / "data", no_lab(tmp_path))
    created = _fixline(env, "ca", "create", "contoso", "--by", "test")
    assert created.returncode == 0, created.stderr
    assert "sha256:" in created.stdout and "PRIVATE" not in created.stdout + created.stderr
    shown = _fixline(env, "ca", "show", "contoso")
    assert shown.returncode == 0 and shown.stdout == created.stdout
    cert, key = new_ca("imported")
    cert_file = tmp_path / "ca.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    imported = _fixline(
        env, "ca", "import", "contoso", "--certificate", str(cert_file), "--key", "-",
        stdin=private_pem(key),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "Fixline CA imported" in imported.stdout and "PRIVATE" not in imported.stdout
    on_argv = _fixline(
        env, "ca", "import", "contoso", "--certificate", str(cert_file), "--key", "x"
    )
    assert on_argv.returncode != 0 and "never the key itself" in on_argv.stderr
    wrong = new_ca("other")[1]
    mismatch = _fixline(
        env, "ca", "import", "contoso", "--certificate", str(cert_file), "--key", "-",
        stdin=private_pem(wrong),
    )  # fmt: skip
    assert mismatch.returncode != 0 and "does not belong to the CA" in mismatch.stderr
