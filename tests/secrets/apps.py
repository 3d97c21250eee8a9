"""Settings for an app without the lab: credentials are checked before any outside system."""

from __future__ import annotations

from pathlib import Path

from runner_api.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def settings_without_lab(tmp_path: Path, **changes: object) -> Settings:
    """Embedded defaults in tmp_path, the checkout's customers, an empty import folder."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "project_dir": PROJECT_DIR,
        "credentials_dir": tmp_path / "no-credentials",
        "workers": 1,
    }
    return Settings(**(values | changes))  # type: ignore[arg-type]
