"""`fixline actions`, `vet`, `db`, `lab`: catalog, pins, store and lab upkeep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runner_api.cli.common import EXIT_INVALID, app, db_app, fail, lab_app, load_settings
from runner_api.cli.lab_home import reach_lab
from runner_api.errors import FixlineError


@app.command()
def actions() -> None:
    """List the vetted actions and whether their playbooks are vetted as they are."""
    # The catalog and the pins only: no database, no clients (a quick command).
    from runner_api.catalog.vetting import VettingLock
    from runner_api.shipped import shipped_catalog

    vetting = VettingLock(load_settings().project_dir)
    for spec in shipped_catalog():
        vetted = ""
        if spec.playbook is not None:
            vetted = "vetted" if not vetting.changes(spec.name, spec.playbook) else "CHANGED"
        params = ", ".join(spec.params_model.model_fields)
        typer.echo(f"{spec.name:<18} {spec.kind:<10} {spec.risk:<7} {vetted:<8} ({params})")


@app.command()
def vet(
    action: Annotated[str, typer.Argument(help="Playbook action to (re-)pin.")],
    by: Annotated[str, typer.Option(help="Name of the person who reviewed the change.")],
) -> None:
    """Pin an action's playbook and role files after review, recording who and when."""
    from runner_api.audit.sink import AuditEvent
    from runner_api.core import Core

    core = Core(load_settings())
    try:
        spec = core.catalog.get(action)
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    if spec.playbook is None:
        raise fail(f"{action} is not a playbook action; nothing to vet", EXIT_INVALID)
    changed = core.vetting.changes(spec.name, spec.playbook)
    if core.settings.auto_migrate:
        core.db.upgrade()
    event = AuditEvent(
        type="playbook.vetted",
        actor=by,
        action=spec.name,
        target=str(spec.playbook),
        outcome="vetted",
        data={"changed": list(changed), "channel": "cli"},
    )
    # The record is written first, in the transaction that commits after the pin: a pin
    # that fails rolls its record back, and no pin is made without its record.
    with core.db.session() as session:
        core.audit.record(session, event)
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

    settings = load_settings()
    Database(settings.resolved_database_url).upgrade()
    typer.echo("store schema is up to date")


@lab_app.command("up")
def lab_up() -> None:
    """Start the local lab (installs what it needs; root). From a checkout only."""
    from runner_api.secrets.credentials import FileCredentialSource

    settings = load_settings()
    reach_lab(settings)
    from lab import Lab

    lab = Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir))
    lab.up()
    typer.echo(lab.describe())


@lab_app.command("down")
def lab_down() -> None:
    """Stop the local lab. From a checkout only."""
    from runner_api.secrets.credentials import FileCredentialSource

    settings = load_settings()
    reach_lab(settings)
    from lab import DemoWiring, Lab
    from lab.rt import RequestTracker

    Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir)).down()
    # Started by `fixline demo`.
    rt = RequestTracker(settings.resolved_lab_dir / "rt")
    DemoWiring(settings.resolved_lab_dir / "wiring", Path(sys.executable).parent / "fixline").down(
        rt
    )
    rt.stop()
    typer.echo("lab stopped")
