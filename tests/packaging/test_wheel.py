"""The product wheel: what a production install needs, and nothing of the lab or the tests.

Built from this checkout with the pinned build backend (pyproject.toml), then listed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"
SHARE = "share/fixline/"


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [str(UV), "build", "--wheel", "--out-dir", str(out), str(PROJECT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"the wheel did not build (make venv installs uv): {built.stderr[-2000:]}")
    (wheel,) = out.glob("fixline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def _data(name: str) -> str | None:
    """The path under <prefix> of a wheel's data file, else None."""
    head, sep, rest = name.partition(".data/data/")
    return rest if sep and head.startswith("fixline-") else None


def test_the_wheel_holds_the_service_and_its_vetted_playbooks_only(wheel_files: list[str]) -> None:
    tops = {name.split("/")[0] for name in wheel_files}
    assert {top for top in tops if not top.startswith("fixline-")} == {"runner_api"}
    # Nothing of the lab, the tests or the benches.
    assert not [n for n in wheel_files if n.startswith(("lab/", "tests/", "bench/"))]
    assert not [n for n in wheel_files if "/lab/" in n or n.endswith("/lab.py")]
    data = {path for name in wheel_files if (path := _data(name))}
    assert data and all(path.startswith(SHARE) for path in data), sorted(data)
    # Every pinned file of every vetted action, and the pins themselves.
    lock = json.loads((PROJECT / "vetting.lock.json").read_text())
    pinned = {SHARE + "vetting.lock.json"}
    for entry in lock["actions"].values():
        pinned |= {SHARE + path for path in entry["files"]}
    assert sorted(pinned - data) == []
    # No customer's inventory: an installation brings its own (FIXLINE_INVENTORIES_DIR).
    assert not [path for path in data if "/inventories/" in path]


def test_the_wheel_has_every_module_and_file_the_service_reads(wheel_files: list[str]) -> None:
    modules = {
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "runner_api").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert sorted(modules - set(wheel_files)) == []
    for needed in (
        "runner_api/migrations/script.py.mako",
        "runner_api/py.typed",
        "runner_api/web/templates/base.html",
        "runner_api/web/static/fixline.css",
        "runner_api/api/docs_assets/swagger-init.js",
    ):
        assert needed in wheel_files, needed
