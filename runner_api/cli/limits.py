"""`fixline limits clear`: an admin clears a rate limit for one scope (recorded, audited)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from runner_api.cli.common import EXIT_INVALID, app, fail, load_settings
from runner_api.errors import FixlineError
from runner_api.runs.limit_kind import LimitKind

limits_app = typer.Typer(help="Rate limits: clear one for a requester, a target or an action.")
app.add_typer(limits_app, name="limits")


@limits_app.command(
    "clear",
    epilog="Examples: fixline limits clear target --customer lab --target lab-host "
    "--reason 'demo'; fixline limits clear requester --requester token:3fa2b1c9d0e1; "
    "fixline limits clear action --action password_reset. A 429 names the limit and its scope.",
)
def clear(
    limit: Annotated[LimitKind, typer.Argument(help="requester, target or action.")],
    customer: Annotated[str | None, typer.Option(help="target: the customer.")] = None,
    target: Annotated[str | None, typer.Option(help="target: the host, account, ...")] = None,
    requester: Annotated[
        str | None,
        typer.Option(
            help="requester: whose hour; target: only this requester's share. The requester's "
            "id (requester_id of its runs, or of the 429's used_by), not its name."
        ),
    ] = None,
    action: Annotated[str | None, typer.Option(help="action: whose breaker.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the clear).")] = "",
    by: Annotated[str | None, typer.Option(help="Who clears (default: your login).")] = None,
) -> None:
    """Runs of the scope so far stop counting, in every Fixline process (audited)."""
    from pydantic import ValidationError

    from runner_api.core import Core
    from runner_api.runs.schemas import LimitClearCreate

    try:
        scope = LimitClearCreate(
            limit=limit,
            customer=customer,
            target=target,
            requester=requester,
            action=action,
            reason=reason,
        )
    except ValidationError as exc:
        raise fail("; ".join(str(e["msg"]) for e in exc.errors()), EXIT_INVALID) from None
    core = Core(load_settings())
    try:
        core.open_store()
        if scope.customer is not None:
            core.customers.get(scope.customer)
        row = core.limits.clear(scope, by or f"{getpass.getuser()}@cli")
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    finally:
        core.stop()
    scope_text = ", ".join(
        part for part in (row.customer, row.target, row.requester, row.action) if part
    )
    typer.echo(f"cleared the {row.kind} limit ({scope_text}) at {row.cleared_at.isoformat()}")
