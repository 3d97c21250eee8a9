"""`fixline secrets ...`: set, list, import credentials; rotate the secret key.

Values never come as command-line arguments (every user sees argv in `ps`): they are read
from a file (`NAME=@FILE`) or from standard input (`NAME=-`).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.cli.common import EXIT_INVALID, app, fail, load_settings, setup_logging
from runner_api.secrets.kinds import FIELDS, CredentialKind

if TYPE_CHECKING:  # the CLI imports lazily to start fast
    from runner_api.core import Core

secrets_app = typer.Typer(
    help="The encrypted credential store: set, list and import credentials; rotate the key."
)
app.add_typer(secrets_app, name="secrets")

_KINDS_HELP = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in FIELDS.items())
By = Annotated[str, typer.Option(help="Who does this, for the audit log (default: OS user).")]


def _open() -> Core:
    from runner_api.core import Core

    core = Core(load_settings())
    core.open_store()
    return core


def _read_value(name: str, source: str, stdin_used: bool) -> str:
    if source == "-":
        if stdin_used:
            raise fail("only one --field may read standard input", EXIT_INVALID)
        text = sys.stdin.read()
    elif source.startswith("@"):
        try:
            text = Path(source[1:]).read_text()
        except OSError as exc:
            message = f"cannot read {name} from {source[1:]}: {exc.strerror}"
            raise fail(message, EXIT_INVALID) from None
    else:
        raise fail(
            f"give --field {name}=@FILE or {name}=- (standard input): a value on the command "
            "line is visible to every user of this machine",
            EXIT_INVALID,
        )
    # A one-line value loses the newline `echo` or an editor added; PEM text keeps its own.
    single = text.removesuffix("\n")
    return single if "\n" not in single else text


@secrets_app.command("set")
def set_credential(
    customer: Annotated[str, typer.Argument(help="Customer (a folder of inventories/).")],
    kind: Annotated[CredentialKind, typer.Argument(help=f"Fields per kind: {_KINDS_HELP}.")],
    field: Annotated[
        list[str],
        typer.Option(
            "--field",
            help="NAME=@FILE (read the file) or NAME=- (read standard input); every field "
            "of the kind, once each. Never a value itself.",
        ),
    ],
    by: By = "",
) -> None:
    """Seal a customer's credential into the store, replacing the stored one."""
    fields: dict[str, str] = {}
    stdin_used = False
    for pair in field:
        name, sep, source = pair.partition("=")
        if not sep or not name:
            # Not echoed: a mistyped pair may be a secret.
            raise fail("every --field takes NAME=@FILE or NAME=-", EXIT_INVALID)
        fields[name] = _read_value(name, source, stdin_used)
        stdin_used = stdin_used or source == "-"
    core = _open()
    core.customers.get(customer)
    view = core.credentials.put(customer, kind, fields, by or getpass.getuser(), channel="cli")
    typer.echo(f"stored {kind} credential of {customer}: {', '.join(view.fields)}")


@secrets_app.command("list")
def list_credentials(
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
) -> None:
    """List stored credentials: customer, kind, fields and when; values show `$encrypted$`."""
    for view in _open().credentials.listing(customer):
        fields = ", ".join(f"{name}={value}" for name, value in view.fields.items())
        updated = view.updated_at.isoformat(timespec="seconds")
        typer.echo(f"{view.customer:<16} {view.kind:<10} {updated} {view.updated_by:<12} {fields}")


@secrets_app.command("import")
def import_credentials(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder <customer>/{ssh,directory,mailbox}/... as `fixline lab up` writes.",
            exists=True,
            file_okay=False,
        ),
    ],
    by: By = "",
) -> None:
    """Seal a credentials folder into the store (unchanged ones are skipped). Delete the
    folder afterwards unless the lab keeps it: the service reads only the store."""
    from runner_api.secrets.importer import import_folder

    setup_logging()
    imported = import_folder(folder.resolve(), _open().credentials, by or getpass.getuser())
    typer.echo(f"imported {len(imported)} credential(s): {', '.join(imported) or 'none'}")


@secrets_app.command("rotate-key")
def rotate_key(by: By = "") -> None:
    """Re-seal every sealed value (credentials, reveals, held approvals, queued runs, site
    jobs, accepted webhook deliveries) with a fresh key, in one transaction, then replace
    the key file (the old key stays beside it as `.old`, 0600). Stop the service first;
    start it again afterwards. See docs/CONFIGURATION.md, Credentials."""
    from runner_api.core import sealed_columns
    from runner_api.secrets.rotation import rotate_key as rotate

    core = _open()
    key_file = core.settings.resolved_secret_key_file
    actor = by or getpass.getuser()
    done = rotate(core.db, core.secret_key, key_file, actor, core.audit, sealed_columns())
    for name, count in done.resealed.items():
        typer.echo(f"re-sealed {count} {name}")
    typer.echo(
        f"key {done.old_key_id} -> {done.key_id}, now in {done.key_file} "
        f"(the old key is in {done.key_file.name}.old)"
    )
    if core.settings.secret_key is not None:
        typer.echo(
            "FIXLINE_SECRET_KEY is set and now holds the OLD key: unset it (the key file "
            "is used then), or set it to the base64 of the new key file."
        )
