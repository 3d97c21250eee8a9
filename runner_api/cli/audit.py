"""`fixline audit ...`: verify the chain, sign and export checkpoints, prune run events."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.cli.common import EXIT_FAILED, EXIT_INVALID, app, fail, load_settings

audit_app = typer.Typer(help="The tamper-evident audit log: verify, checkpoints, retention.")
app.add_typer(audit_app, name="audit")

if TYPE_CHECKING:  # the CLI imports lazily to start fast
    from runner_api.audit.log import AuditLog, Checkpoint


def _open_log() -> AuditLog:
    from runner_api.audit.log import AuditLog
    from runner_api.audit.signing import load_or_create_signer
    from runner_api.database import Database

    settings = load_settings()
    db = Database(settings.resolved_database_url)
    if settings.auto_migrate:
        db.upgrade()
    return AuditLog(
        db,
        load_or_create_signer(settings.resolved_audit_key_file),
        checkpoint_records=settings.audit_checkpoint_records,
        checkpoint_every_s=settings.audit_checkpoint_every_s,
    )


@audit_app.command("verify")
def verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="Checkpoints kept elsewhere (JSONL from `export-checkpoints`)."),
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key; default: that of the signing key.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute the chain, check every checkpoint; exit 1 naming the first bad record."""
    from runner_api.audit.log import read_checkpoints
    from runner_api.audit.signing import CheckpointVerifier, load_public_key
    from runner_api.audit.verify import verify_chain

    audit = _open_log()
    verifier = audit.signer.verifier
    if public_key is not None:
        verifier = CheckpointVerifier(load_public_key(public_key.read_bytes()))
    external: list[Checkpoint] = []
    if checkpoints is not None:
        try:
            external = read_checkpoints(checkpoints.read_text().splitlines())
        except (OSError, ValueError, KeyError) as exc:
            raise fail(f"cannot read checkpoints from {checkpoints}: {exc}", EXIT_INVALID) from None
    with audit.db.engine.connect() as connection:
        report = verify_chain(connection, verifier, external)
    audit.db.dispose()
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
    else:
        typer.echo(
            f"{'OK' if report.ok else 'TAMPERED'}: {report.records} records"
            f" (head {report.head_seq}),"
            f" {report.checkpoints_checked} checkpoint checks ({report.external_checkpoints}"
            f" external), last checkpoint covered: {report.last_checkpoint_covered},"
            f" {report.elapsed_s:.2f} s"
        )
        for problem in report.problems:
            typer.echo(f"  seq {problem.seq}: {problem.kind}: {problem.detail}")
        if report.first_bad_seq is not None:
            typer.echo(f"first bad seq: {report.first_bad_seq}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the current head now."""
    audit = _open_log()
    made = audit.checkpoint("manual")
    audit.db.dispose()
    if made is None:
        typer.echo("the audit log is empty: nothing to sign")
    else:
        typer.echo(made.to_json())


@audit_app.command("export-checkpoints")
def export_checkpoints(
    out: Annotated[Path | None, typer.Option(help="File to write; default stdout.")] = None,
    after_seq: Annotated[int, typer.Option(help="Only checkpoints after this seq.")] = 0,
) -> None:
    """Write the signed checkpoints as JSON lines, to keep on another system."""
    audit = _open_log()
    if out is None:
        audit.export_checkpoints(sys.stdout, after_seq)
    else:
        with out.open("a") as handle:
            count = audit.export_checkpoints(handle, after_seq)
        typer.echo(f"{count} checkpoint(s) appended to {out}", err=True)
    audit.db.dispose()


@audit_app.command("public-key")
def public_key() -> None:
    """Print the PEM public key that verifies the checkpoints."""
    from runner_api.audit.signing import load_or_create_signer, public_pem

    signer = load_or_create_signer(load_settings().resolved_audit_key_file)
    typer.echo(public_pem(signer.verifier.public), nl=False)


@audit_app.command("prune")
def prune(
    by: Annotated[str, typer.Option(help="Who runs the prune (recorded).")],
    days: Annotated[
        int | None, typer.Option(help="Keep this many days; default the setting.")
    ] = None,
) -> None:
    """Delete run events past the retention policy (audited, then checkpointed)."""
    from runner_api.runs.retention import prune_run_events

    audit = _open_log()
    keep = days if days is not None else load_settings().run_events_retention_days
    result = prune_run_events(audit, keep, by)
    audit.db.dispose()
    signed = result.checkpoint.seq if result.checkpoint else None
    typer.echo(f"pruned {result.pruned} run event(s) before {result.cutoff}; checkpoint {signed}")


@audit_app.command("export")
def export(
    format: Annotated[str, typer.Option(help="jsonl or csv")] = "jsonl",
    ticket_id: Annotated[str | None, typer.Option(help="Only this ticket.")] = None,
) -> None:
    """Write audit records (with their hashes) to stdout."""
    from runner_api.reports.export import export_csv, export_jsonl
    from runner_api.reports.queries import RecordFilter

    if format not in ("jsonl", "csv"):
        raise fail("--format is jsonl or csv", EXIT_INVALID)
    audit = _open_log()
    writer = export_csv if format == "csv" else export_jsonl
    for chunk in writer(audit.db, RecordFilter(ticket_id=ticket_id)):
        sys.stdout.write(chunk)
    audit.db.dispose()
