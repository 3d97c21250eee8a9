"""The `fixline` command: serve the API, run and inspect fixes, vet playbooks, manage the store."""

from __future__ import annotations

import sys

import typer

from runner_api.auth.errors import RateLimitedError
from runner_api.cli import (  # noqa: F401  (they register their commands)
    admin,
    audit,
    ca,
    limits,
    monitoring,
    reveal,
    runs,
    secrets,
    serve,
    tokens,
    worker,
)
from runner_api.cli.common import EXIT_INVALID, EXIT_LIMITED, app
from runner_api.errors import FixlineError

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except FixlineError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        sys.exit(EXIT_LIMITED if isinstance(exc, RateLimitedError) else EXIT_INVALID)
