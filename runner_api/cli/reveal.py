"""`fixline reveal ID`: a run's one-time secret, once, to the person who started the run.

The same rules as `POST /reveals/{id}` (and `/download` for a file): only the requester
(here the local login that ran `fixline run`), only once, audited without the value. Text
goes to standard output; a file (a VPN profile, with its private key) to a new 0600 file
(--output), or to standard output only when that is not a terminal. Never a log line.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from runner_api.auth.principal import local_user_id
from runner_api.cli.common import EXIT_FAILED, EXIT_INVALID, app, fail, load_settings
from runner_api.errors import FixlineError

if TYPE_CHECKING:  # the CLI imports lazily to start fast
    from runner_api.core import Core


@app.command(
    "reveal",
    epilog="Example: fixline reveal 3f2c...  (the command `fixline run` printed). Exit codes: "
    "0 handed over, 1 already handed over once or expired, 2 no such secret for you, "
    "--output refused, or a file that would go to a terminal.",
)
def reveal(
    reveal_id: Annotated[
        str, typer.Argument(help="The id `fixline run` printed (details.reveal_id), or the run id.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "--out",
            "-o",
            help="A file secret (VPN profile) only: write it to this new file (mode 0600). "
            "An existing file is never overwritten. Without it the file goes to standard "
            "output, which must not be a terminal (it holds a private key).",
        ),
    ] = None,
) -> None:
    """Hand over a run's one-time secret (temporary password, Temporary Access Pass, VPN
    profile) once, to the person who started the run."""
    from runner_api.core import Core

    core = Core(load_settings())
    core.open_store()
    user = getpass.getuser()
    me = local_user_id(user)
    reveal_id, action, filename = _reveal_of(core, reveal_id, me)
    if out is not None and action is not None and filename is None:
        raise fail(
            f"--output is for a file (a VPN profile); the secret of {action} is printed "
            "(nothing was shown: run again without --output)",
            EXIT_INVALID,
        )
    if filename is not None and out is None and sys.stdout.isatty():
        raise fail(
            f"this secret is a file with a private key ({filename}): it is never printed to a "
            f"terminal. Nothing was spent: run again with --output {filename}",
            EXIT_INVALID,
        )
    # The file first: should it exist, the secret is still unread rather than lost.
    handle = _new_private_file(out) if out is not None else None
    try:
        if filename is not None:
            secret = core.reveals.download(reveal_id, f"{user}@cli", me)[1]
        else:
            secret = core.reveals.consume(reveal_id, f"{user}@cli", me)
    except FixlineError as exc:
        if handle is not None and out is not None:
            handle.close()
            out.unlink()
        raise _refusal(exc) from None
    if handle is not None:
        with handle:
            handle.write(secret if secret.endswith("\n") else secret + "\n")
        typer.echo(
            f"VPN profile written to {out} (mode 0600); it cannot be downloaded again", err=True
        )
        return
    sys.stdout.write(secret if secret.endswith("\n") else secret + "\n")
    sys.stdout.flush()
    typer.echo("handed over once: it cannot be handed over again", err=True)


def _reveal_of(core: Core, given: str, me: str) -> tuple[str, str | None, str | None]:
    """The reveal id, its run's action and its file name (None: text), when the reveal is
    the caller's; an id of a run stands for the reveal that run made."""
    record = core.reveals.find(given)
    if record is None:
        try:
            run = core.store.get(given)
        except FixlineError:
            return given, None, None  # consume() answers "no reveal" in the API's words
        named = (run.details or {}).get("reveal_id")
        if not named:
            raise fail(f"run {given} has no one-time secret ({run.status})", EXIT_INVALID)
        given, record = str(named), core.reveals.find(str(named))
    if record is None or record.requester_id != me:
        return given, None, None
    return given, core.store.get(record.run_id).action, record.filename


def _new_private_file(path: Path) -> TextIO:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise fail(
            f"{path} exists and is never overwritten: name a new file", EXIT_INVALID
        ) from None
    except OSError as exc:
        raise fail(f"cannot create {path}: {exc.strerror}", EXIT_INVALID) from None
    os.fchmod(fd, 0o600)  # whatever the umask
    return os.fdopen(fd, "w", encoding="utf-8")


def _refusal(exc: FixlineError) -> typer.Exit:
    from runner_api.reveals.service import RevealGoneError

    # Gone says when it was handed over or expired, in words a person can act on.
    return fail(exc.message, EXIT_FAILED if isinstance(exc, RevealGoneError) else EXIT_INVALID)
