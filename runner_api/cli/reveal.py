"""`fixline reveal ID`: a run's one-time secret, once, to the person who started the run.

The same rules as `POST /reveals/{id}`: only the requester (here the local login that ran
`fixline run`), only once, audited without the value. The secret goes to standard output
(or, for a VPN profile, to a new 0600 file) and nowhere else: never a log line.
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

# The actions whose secret is a file to hand over rather than text to read out.
PROFILE_ACTIONS = frozenset({"vpn_grant"})


@app.command(
    "reveal",
    epilog="Example: fixline reveal 3f2c...  (the command `fixline run` printed). Exit codes: "
    "0 shown, 1 already shown once or expired, 2 no such secret for you, or --out refused.",
)
def reveal(
    reveal_id: Annotated[
        str, typer.Argument(help="The id `fixline run` printed (details.reveal_id), or the run id.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="VPN profile only: write it to this new file (mode 0600) instead of standard "
            "output. An existing file is never overwritten."
        ),
    ] = None,
) -> None:
    """Show a run's one-time secret (temporary password, Temporary Access Pass, VPN profile)
    once, to the person who started the run."""
    from runner_api.core import Core

    core = Core(load_settings())
    core.open_store()
    user = getpass.getuser()
    me = local_user_id(user)
    reveal_id, action = _reveal_of(core, reveal_id, me)
    if out is not None and action not in PROFILE_ACTIONS:
        raise fail(
            f"--out is for a VPN profile; the secret of {action or 'this run'} is printed "
            "(nothing was shown: run again without --out)",
            EXIT_INVALID,
        )
    # The file first: should it exist, the secret is still unread rather than lost.
    handle = _new_private_file(out) if out is not None else None
    try:
        secret = core.reveals.consume(reveal_id, f"{user}@cli", me)
    except FixlineError as exc:
        if handle is not None and out is not None:
            handle.close()
            out.unlink()
        raise _refusal(core, reveal_id, exc) from None
    if handle is not None:
        with handle:
            handle.write(secret if secret.endswith("\n") else secret + "\n")
        typer.echo(f"VPN profile written to {out} (mode 0600); it cannot be shown again", err=True)
        return
    sys.stdout.write(secret + "\n")
    sys.stdout.flush()
    typer.echo("shown once: it cannot be shown again", err=True)


def _reveal_of(core: Core, given: str, me: str) -> tuple[str, str | None]:
    """The reveal id and its run's action, when the reveal is the caller's; an id of a run
    stands for the reveal that run made."""
    record = core.reveals.find(given)
    if record is None:
        try:
            run = core.store.get(given)
        except FixlineError:
            return given, None  # consume() answers "no reveal" in the API's words
        named = (run.details or {}).get("reveal_id")
        if not named:
            raise fail(f"run {given} has no one-time secret ({run.status})", EXIT_INVALID)
        given, record = str(named), core.reveals.find(str(named))
    if record is None or record.requester_id != me:
        return given, None
    return given, core.store.get(record.run_id).action


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


def _refusal(core: Core, reveal_id: str, exc: FixlineError) -> typer.Exit:
    from runner_api.reveals.service import RevealGoneError

    if not isinstance(exc, RevealGoneError):
        return fail(exc.message, EXIT_INVALID)
    record = core.reveals.find(reveal_id)
    if record is not None and record.revealed_at is not None:
        when = f"{record.revealed_at:%Y-%m-%d %H:%M:%S} UTC"
        return fail(f"already shown once, at {when}: start a new run for a new one", EXIT_FAILED)
    expired = f" at {record.expires_at:%Y-%m-%d %H:%M:%S} UTC" if record is not None else ""
    return fail(
        f"expired{expired}, unread (a one-time secret lives {core.settings.reveal_ttl_s} s): "
        "start a new run for a new one",
        EXIT_FAILED,
    )
