"""`fixline run`, `runs`, `show`, `cancel`: fixes from the command line."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runner_api.auth.errors import RateLimitedError
from runner_api.auth.principal import local_user_id
from runner_api.cli.common import (
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_LIMITED,
    EXIT_REFUSED,
    app,
    fail,
    load_settings,
)
from runner_api.cli.params import PARAMS_HELP, ParamsError, parse_params
from runner_api.errors import FixlineError, InvalidParamsError, RefusedError
from runner_api.runs.status import RunStatus

if TYPE_CHECKING:  # the CLI imports lazily: `runs` and `show` need no executors
    from runner_api.runs.filters import RunFilter
    from runner_api.runs.quick_read import EventView, RunReader
    from runner_api.runs.store import RunStore


@app.command(
    "run",
    epilog="Example: fixline run service_restart --customer lab --ticket INC-1042 "
    f"-p host=lab-host -p unit=fixline-lab-web --wait. {EXIT_CODES_HELP}",
)
def run_action(
    action: Annotated[str, typer.Argument(help="Vetted action, see `fixline actions`.")],
    customer: Annotated[str, typer.Option(help="Customer the run is for.")],
    ticket: Annotated[str, typer.Option(help="Ticket id the run is bound to.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help=PARAMS_HELP)] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Dry run: report what would change.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Show progress and output live.")] = False,
    by: Annotated[str | None, typer.Option(help="Who asks (default: your login).")] = None,
) -> None:
    """Run one action in this process and report its outcome (exit 0 only on success)."""

    from runner_api.core import Core
    from runner_api.runs.schemas import Channel
    from runner_api.runs.service import RunRequest

    core = Core(load_settings())
    core.start(serving=False)
    try:
        try:
            run = core.runs.start_run(
                RunRequest(
                    customer=customer,
                    ticket_id=ticket,
                    action=action,
                    params=parse_params(
                        param or [], core.catalog.get(action).params_model.model_json_schema()
                    ),
                    requested_by=by or f"{getpass.getuser()}@cli",
                    # --by only names the run; it belongs to who runs the command.
                    requester_id=local_user_id(getpass.getuser()),
                    channel=Channel.CLI,
                    check_mode=check,
                )
            )
        except ParamsError as exc:
            raise fail(str(exc), EXIT_INVALID) from None
        except InvalidParamsError as exc:
            lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors]
            raise fail(exc.message + "\n  " + "\n  ".join(lines), EXIT_INVALID) from None
        except RefusedError as exc:
            raise fail(
                f"refused: {exc.message} (run {exc.details.get('run_id')})", EXIT_REFUSED
            ) from None
        except RateLimitedError as exc:
            raise fail(exc.message, EXIT_LIMITED) from None
        except FixlineError as exc:
            raise fail(exc.message, EXIT_INVALID) from None
        typer.echo(f"run {run.id} queued ({action} on {run.target}, ticket {ticket})")
        try:
            final = _follow(core, run.id, live=wait)
        except KeyboardInterrupt:
            _cancel_unstarted(core, run.id)
            raise
    finally:
        core.stop()
    _print_outcome(final)
    raise typer.Exit(0 if final.status == RunStatus.SUCCEEDED else EXIT_FAILED)


def _cancel_unstarted(core: Any, run_id: str) -> None:
    """Ctrl-C before the run started: the person at the terminal stopped it, so it is
    canceled (a service would otherwise take it over later, unexpectedly)."""
    if core.runs.get_run(run_id).status == RunStatus.QUEUED:
        user = getpass.getuser()
        core.runs.cancel(run_id, f"{user}@cli", local_user_id(user))
        typer.secho(f"run {run_id} canceled before it started", err=True)


def event_line(event: EventView) -> str:
    """One event as a line: number, kind, host (unless the message names it), message."""
    where = f" [{event.host}]" if event.host and f"[{event.host}]" not in event.message else ""
    return f"  {event.seq:>3} {event.kind:<14}{where} {event.message}".rstrip()


def _follow(core: Any, run_id: str, live: bool) -> Any:
    last = 0
    while True:
        run = core.runs.get_run(run_id)
        for event in core.store.events(run_id, last):
            last = event.seq
            if live:
                typer.echo(event_line(event))
        # Awaiting approval: a person decides, maybe in half an hour; do not block on it.
        if RunStatus(run.status).terminal or run.status == RunStatus.AWAITING_APPROVAL:
            return run
        time.sleep(0.1)


def _print_outcome(run: Any) -> None:
    color = typer.colors.GREEN if run.status == RunStatus.SUCCEEDED else typer.colors.RED
    text = f"{run.summary or run.error or ''}"
    # Refusals say "refused: ..." themselves: not "refused: refused: ...".
    line = text if text.startswith(f"{run.status}:") else f"{run.status}: {text}"
    typer.secho(line.rstrip(), fg=color)
    if run.error and run.summary:
        typer.echo(f"error: {run.error}")
    if run.diff:
        typer.echo(f"diff: {run.diff}")
    details = run.details or {}
    reveal_id = details.get("reveal_id")
    if reveal_id and details.get("reveal_file"):
        # A file with a private key: to a file, never to the terminal.
        name = details["reveal_file"]
        typer.echo(
            f"one-time file, one download to you: fixline reveal {reveal_id} --output {name}"
        )
    elif reveal_id:
        # The secret itself never passes through this process's output of the run.
        typer.echo(f"one-time secret, shown once to you: fixline reveal {reveal_id}")


@app.command()
def runs(
    ticket: Annotated[str | None, typer.Option(help="Only runs of this ticket.")] = None,
    ticket_prefix: Annotated[
        str | None,
        typer.Option(help="Only runs of tickets whose id starts with this (case as stored)."),
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Only runs of this customer.")] = None,
    status: Annotated[RunStatus | None, typer.Option(help="Only runs in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many (newest first).")] = 20,
) -> None:
    """List runs, newest first."""
    from runner_api.runs.filters import RunFilter

    filters = RunFilter(ticket, customer, None, status, ticket_prefix=ticket_prefix)
    with _reader() as reader:
        print_runs(reader, filters, limit)


def print_runs(reader: RunReader, filters: RunFilter, limit: int) -> None:
    """The lines of `fixline runs`."""
    items = reader.search(filters, limit, None)
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
    with _reader() as reader:
        print_run(reader, run_id)


def print_run(reader: RunReader, run_id: str) -> None:
    """What `fixline show` prints: the run as the API shows it, then its events."""
    from runner_api.runs.schemas import RunRead

    try:
        run = reader.get(run_id)
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    typer.echo(RunRead.model_validate(run).model_dump_json(indent=2))
    typer.echo("events:")
    for event in reader.events(run_id):
        typer.echo(event_line(event))


@contextmanager
def _reader() -> Iterator[RunReader]:
    """The store's runs, read directly when the store is at the newest migration (nothing
    of SQLAlchemy to import: runs/quick_read.py), else through RunStore, which migrates."""
    from runner_api.runs.quick_read import open_reader

    url = load_settings().resolved_database_url
    quick = open_reader(url)
    if quick is None:
        store = _open_store(url)
        try:
            yield store
        finally:
            store.db.dispose()
        return
    with closing(quick):
        yield quick


def _open_store(url: str) -> RunStore:
    """The store alone, migrated: reading runs needs no executors, catalog or keys (a Core
    would import all of them, seconds before the first line)."""
    from runner_api.database import Database
    from runner_api.runs.store import RunStore

    db = Database(url)
    db.upgrade()
    return RunStore(db)


@app.command()
def cancel(run_id: Annotated[str, typer.Argument(help="Run id.")]) -> None:
    """Cancel a run (the process running it stops it within a second)."""
    from runner_api.core import Core

    core = Core(load_settings())
    try:
        user = getpass.getuser()
        run = core.runs.cancel(run_id, f"{user}@cli", local_user_id(user))
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    typer.echo(f"{run.id}: {run.status} (cancel requested)")
