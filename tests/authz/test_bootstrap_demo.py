"""The demo's admin token lives in a 0600 file and is never printed (it used to be)."""

from __future__ import annotations

import stat
from pathlib import Path

from runner_api.cli.serve import _demo_token, admin_token_hint
from runner_api.settings import Settings


def test_the_demo_token_is_written_0600_and_only_its_place_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "data" / "api-token"
    first = _demo_token(path).get_secret_value()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first and len(first) >= 40
    # A fresh one at each start: a token read from an old copy of the file opens nothing.
    assert _demo_token(path).get_secret_value() != first
    hint = admin_token_hint(Settings(data_dir=tmp_path / "data"), path)
    assert str(path) in hint and "0600" in hint
    assert path.read_text().strip() not in hint
