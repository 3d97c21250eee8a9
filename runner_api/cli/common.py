"""Shared parts of the `fixline` command: the Typer apps, settings, exit codes, errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported where used: `fixline --help` needs no settings
    from runner_api.settings import Settings

app = typer.Typer(
    help="Fixline: vetted one-step helpdesk fixes, each run bound to its ticket.\n\n"
    "Settings come from FIXLINE_* environment variables (see docs/CONFIGURATION.md).\n\n"
    "Exit codes: 0 done, 1 failed, 2 invalid input, 3 refused by policy, 4 rate limited "
    "(see each command's --help).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the store (SQLite by default, PostgreSQL by URL).")
lab_app = typer.Typer(help="Start or stop the local lab (throwaway real components).")
app.add_typer(db_app, name="db")
app.add_typer(lab_app, name="lab")

EXIT_FAILED, EXIT_INVALID, EXIT_REFUSED, EXIT_LIMITED = 1, 2, 3, 4
EXIT_CODES_HELP = (
    "Exit codes: 0 succeeded, 1 the run failed (or was canceled, timed out, interrupted), "
    "2 invalid input, 3 refused by policy, 4 rate limited (the message names the limit, "
    "whose runs fill it and when it frees; an admin may `fixline limits clear` it)."
)


def load_settings(env_file: Path | None = None) -> Settings:
    """Settings from FIXLINE_* variables (and env_file's lines, which those override)."""
    from runner_api.settings import Settings

    if env_file is None:
        return Settings()
    if not env_file.is_file():
        raise fail(f"{env_file}: no such settings file", EXIT_INVALID)
    return Settings(_env_file=env_file)


def setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)
