"""`fixline tokens create|list|revoke`: API tokens for integrations."""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.auth.principal import Role, local_user_id
from runner_api.cli.common import EXIT_INVALID, app, fail, load_settings
from runner_api.errors import FixlineError

if TYPE_CHECKING:
    from runner_api.auth.tokens import Creator
    from runner_api.core import Core

tokens_app = typer.Typer(
    help="API tokens for integrations (ticket system, monitoring). A token is shown once, "
    "stored only as its SHA-256, and revoked at once.",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="tokens")


def _local_user() -> Creator:
    """Whoever runs the CLI on this machine: the person its tokens act for."""
    from runner_api.auth.tokens import Creator

    user = getpass.getuser()
    return Creator(f"cli:{user}", local_user_id(user), local_user_id(user))


def _core() -> Core:
    # Imported here: building the Core is heavy and `--help` should stay fast.
    from runner_api.core import Core

    core = Core(load_settings())
    if core.settings.auto_migrate:
        core.db.upgrade()
    return core


@tokens_app.command(
    "create",
    epilog="Example: fixline tokens create --name rt-webhook --role agent --customer lab "
    "--action account_unlock --expires-in-days 365",
)
def create(
    name: Annotated[str, typer.Option(help="What the token is for (shown in lists and audit).")],
    role: Annotated[Role, typer.Option(help="Role the token acts with.")] = Role.AGENT,
    customer: Annotated[
        list[str] | None,
        typer.Option(
            "--customer",
            "-c",
            help="Customer it may act on (repeat). Required unless the role is admin or auditor.",
        ),
    ] = None,
    action: Annotated[
        list[str] | None,
        typer.Option("--action", "-a", help="Limit to this action (repeat; default all)."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Expire after this many days.")
    ] = None,
) -> None:
    """Create a token and print it once. Keep it in the integration's secret store."""
    from runner_api.types import utcnow

    core = _core()
    try:
        for name_ in customer or []:
            core.customers.get(name_)
        for action_ in action or []:
            core.catalog.get(action_)
        issued = core.tokens.create(
            name=name,
            role=role,
            customers=customer,
            actions=action,
            created_by=_local_user(),
            expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    typer.echo(issued.secret)
    typer.secho(
        f"token {issued.record.id} ({issued.record.name}, {issued.record.role}) created; "
        "it is shown only this once",
        err=True,
    )


@tokens_app.command("list")
def list_() -> None:
    """List tokens: id, name, role, scope, last use, state. Never a secret."""
    from runner_api.types import utcnow

    for token in _core().tokens.list():
        state = "revoked" if token.revoked_at else "active"
        if state == "active" and token.expires_at and token.expires_at <= utcnow():
            state = "expired"
        customers = ",".join(token.customers) if token.customers is not None else "*"
        actions = ",".join(token.actions) if token.actions is not None else "*"
        last = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-"
        typer.echo(
            f"{token.id}  {token.name:<20} {token.role:<13} customers={customers} "
            f"actions={actions} last_used={last} {state}"
        )


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="Token id from `fixline tokens list`.")],
) -> None:
    """Revoke a token; its next request gets 401."""
    try:
        token = _core().tokens.revoke(token_id, _local_user())
    except FixlineError as exc:
        raise fail(exc.message, EXIT_INVALID) from None
    typer.echo(f"token {token.id} ({token.name}) revoked")
