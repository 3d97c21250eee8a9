"""The `fixline` command: serve the API, run and inspect fixes, vet playbooks, manage the store."""

from __future__ import annotations

import logging
import secrets
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from runner_api.errors import FixlineError, InvalidParamsError, RefusedError
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunFilter
from runner_api.settings import Settings

app = typer.Typer(
    help="Fixline: vetted one-step helpdesk fixes, each run bound to its ticket.\n\n"
    "Settings come from FIXLINE_* environment variables (see docs/CONFIGURATION.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the store (SQLite by default, PostgreSQL by URL).")
lab_app = typer.Typer(help="Start or stop the local lab (throwaway real components).")
app.add_typer(db_app, name="db")
app.add_typer(lab_app, name="lab")

EXIT_FAILED, EXIT_INVALID, EXIT_REFUSED = 1, 2, 3


def _settings() -> Settings:
    return Settings()


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _fail(f"--param takes key=value, got {pair!r}", EXIT_INVALID)
        params[key.strip()] = value
    return params


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the API (and its worker pool) on the configured address."""
    import uvicorn

    from runner_api.app import create_app

    settings = _settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def demo() -> None:
    """Start the local lab and serve Fixline on the embedded defaults (what `make demo` runs)."""
    import uvicorn

    from runner_api.app import create_app
    from runner_api.lab import Lab
    from runner_api.secrets.credentials import FileCredentialSource

    _setup_logging()
    settings = _settings()
    lab = Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir))
    typer.echo("Starting the local lab ...")
    lab.up()
    if settings.bootstrap_token is None:
        settings = settings.model_copy(update={"bootstrap_token": _demo_token(settings.data_dir)})
    assert settings.bootstrap_token is not None
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(
        "\n".join(
            [
                "",
                f"Fixline is starting at {base}",
                f"  API docs (OpenAPI):  {base}/docs",
                f"  Log in: click 'Authorize' there, or send `Authorization: Bearer "
                f"{settings.bootstrap_token.get_secret_value()}`",
                "  Try:  fixline run smoke_check --customer lab --ticket DEMO-1 "
                "--param host=lab-host --wait",
                "",
                lab.describe(),
                "",
                "Stop with Ctrl-C (the lab keeps running; `fixline lab down` stops it).",
                "",
            ]
        )
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _demo_token(data_dir: Path) -> SecretStr:
    path = data_dir / "api-token"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(24))
    return SecretStr(path.read_text().strip())


@app.command("run")
def run_action(
    action: Annotated[str, typer.Argument(help="Vetted action, see `fixline actions`.")],
    customer: Annotated[str, typer.Option(help="Customer the run is for.")],
    ticket: Annotated[str, typer.Option(help="Ticket id the run is bound to.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Parameter key=value (repeat).")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Dry run: report what would change.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress and output live.")] = False,
    by: Annotated[str | None, typer.Option(help="Who asks (default: your login).")] = None,
) -> None:
    """Run one action in this process and report its outcome (exit 0 only on success)."""
    import getpass

    from runner_api.core import Core

    core = Core(_settings())
    core.start()
    try:
        try:
            run = core.runs.start_run(
                RunRequest(
                    customer=customer,
                    ticket_id=ticket,
                    action=action,
                    params=_parse_params(param or []),
                    requested_by=by or f"{getpass.getuser()}@cli",
                    channel=Channel.CLI,
                    check_mode=check,
                )
            )
        except InvalidParamsError as exc:
            lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors]
            raise _fail(exc.message + "\n  " + "\n  ".join(lines), EXIT_INVALID) from None
        except RefusedError as exc:
            raise _fail(
                f"refused: {exc.message} (run {exc.details.get('run_id')})", EXIT_REFUSED
            ) from None
        except FixlineError as exc:
            raise _fail(exc.message, EXIT_INVALID) from None
        typer.echo(f"run {run.id} queued ({action} on {run.target}, ticket {ticket})")
        final = _follow(core, run.id, live=wait)
    finally:
        core.stop()
    _print_outcome(final)
    raise typer.Exit(0 if final.status == RunStatus.SUCCEEDED else EXIT_FAILED)


def _follow(core: Any, run_id: str, live: bool) -> Any:
    last = 0
    while True:
        run = core.runs.get_run(run_id)
        for event in core.store.events(run_id, last):
            last = event.seq
            if live:
                where = f" [{event.host}]" if event.host else ""
                typer.echo(f"  {event.seq:>3} {event.kind:<14}{where} {event.message}".rstrip())
        if RunStatus(run.status).terminal:
            return run
        time.sleep(0.1)


def _print_outcome(run: Any) -> None:
    color = typer.colors.GREEN if run.status == RunStatus.SUCCEEDED else typer.colors.RED
    typer.secho(f"{run.status}: {run.summary or run.error or ''}".rstrip(), fg=color)
    if run.error and run.summary:
        typer.echo(f"error: {run.error}")
    if run.diff:
        typer.echo(f"diff: {run.diff}")


@app.command()
def runs(
    ticket: Annotated[str | None, typer.Option(help="Only runs of this ticket.")] = None,
    customer: Annotated[str | None, typer.Option(help="Only runs of this customer.")] = None,
    status: Annotated[RunStatus | None, typer.Option(help="Only runs in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many (newest first).")] = 20,
) -> None:
    """List runs, newest first."""
    from runner_api.core import Core

    core = Core(_settings())
    core.db.upgrade()
    items, _ = core.runs.list_runs(RunFilter(ticket, customer, None, status), limit, None)
    for run in items:
        typer.echo(
            f"{run.id}  {run.created_at:%Y-%m-%d %H:%M:%S}  {run.status:<11} {run.ticket_id:<12} "
            f"{run.customer:<10} {run.action:<18} {run.target}"
        )
    if not items:
        typer.echo("no runs")


@app.command()
def show(run_id: Annotated[str, typer.Argument(help="Run id.")]) -> None:
    """Show one run with its events."""
    from runner_api.core import Core
    from runner_api.runs.schemas import RunRead

    core = Core(_settings())
    core.db.upgrade()
    try:
        run = core.runs.get_run(run_id)
    except FixlineError as exc:
        raise _fail(exc.message, EXIT_INVALID) from None
    typer.echo(RunRead.model_validate(run).model_dump_json(indent=2))
    typer.echo("events:")
    for event in core.store.events(run_id):
        where = f" [{event.host}]" if event.host else ""
        typer.echo(f"  {event.seq:>3} {event.kind:<14}{where} {event.message}".rstrip())


@app.command()
def cancel(run_id: Annotated[str, typer.Argument(help="Run id.")]) -> None:
    """Cancel a run (the process running it stops it within a second)."""
    from runner_api.core import Core

    core = Core(_settings())
    try:
        run = core.runs.cancel(run_id)
    except FixlineError as exc:
        raise _fail(exc.message, EXIT_INVALID) from None
    typer.echo(f"{run.id}: {run.status} (cancel requested)")


@app.command()
def actions() -> None:
    """List the vetted actions and whether their playbooks are vetted as they are."""
    from runner_api.core import Core

    core = Core(_settings())
    for spec in core.catalog:
        vetted = ""
        if spec.playbook is not None:
            vetted = "vetted" if not core.vetting.changes(spec.name, spec.playbook) else "CHANGED"
        params = ", ".join(spec.params_model.model_fields)
        typer.echo(f"{spec.name:<18} {spec.kind:<10} {spec.risk:<7} {vetted:<8} ({params})")


@app.command()
def vet(
    action: Annotated[str, typer.Argument(help="Playbook action to (re-)pin.")],
    by: Annotated[str, typer.Option(help="Name of the person who reviewed the change.")],
) -> None:
    """Pin an action's playbook and role files after review, recording who and when."""
    from runner_api.core import Core

    core = Core(_settings())
    try:
        spec = core.catalog.get(action)
    except FixlineError as exc:
        raise _fail(exc.message, EXIT_INVALID) from None
    if spec.playbook is None:
        raise _fail(f"{action} is not a playbook action; nothing to vet", EXIT_INVALID)
    changed = core.vetting.changes(spec.name, spec.playbook)
    entry = core.vetting.vet(spec.name, spec.playbook, by)
    typer.echo(
        f"vetted {action} by {entry.vetted_by} at {entry.vetted_at}: {len(entry.files)} files"
    )
    for name in changed:
        typer.echo(f"  changed: {name}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (done at start-up too, unless FIXLINE_AUTO_MIGRATE=false)."""
    from runner_api.database import Database

    settings = _settings()
    Database(settings.resolved_database_url).upgrade()
    typer.echo("store schema is up to date")


@lab_app.command("up")
def lab_up() -> None:
    """Start the local lab (installs what it needs; root)."""
    from runner_api.lab import Lab
    from runner_api.secrets.credentials import FileCredentialSource

    settings = _settings()
    lab = Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir))
    lab.up()
    typer.echo(lab.describe())


@lab_app.command("down")
def lab_down() -> None:
    """Stop the local lab."""
    from runner_api.lab import Lab
    from runner_api.secrets.credentials import FileCredentialSource

    settings = _settings()
    Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir)).down()
    typer.echo("lab stopped")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except FixlineError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        sys.exit(EXIT_INVALID)
