"""`fixline serve` and `fixline demo`: the API with its worker pool."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.cli.common import app, load_settings, setup_logging

if TYPE_CHECKING:  # imported where used: `fixline --help` needs no pydantic
    from fastapi import FastAPI
    from pydantic import SecretStr

    from runner_api.settings import Settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the API (and its worker pool) on the configured address."""
    from runner_api.app import create_app

    settings = load_settings()
    _serve(create_app(settings), host or settings.host, port or settings.port)


@app.command()
def demo() -> None:
    """Start the local lab and serve Fixline on the embedded defaults (what `make demo` runs).
    From a checkout only: the lab is not installed with the product."""
    from runner_api.app import create_app
    from runner_api.cli.lab_home import reach_lab
    from runner_api.secrets.credentials import FileCredentialSource

    setup_logging()
    settings = load_settings()
    reach_lab(settings)
    from lab import DemoWiring, Lab
    from lab.ews.lab import MailboxLab
    from lab.graph.lab import EntraLab
    from lab.rt import RequestTracker

    credentials = FileCredentialSource(settings.resolved_credentials_dir)
    lab = Lab(settings.resolved_lab_dir, credentials)
    typer.echo("Starting the local lab ...")
    lab.up()
    # The Exchange simulator lives in this process (a thread), beside the API it serves.
    mailbox_lab = MailboxLab(credentials)
    mailbox_lab.start()
    # So is the Microsoft Graph simulator, for the cloud-only customer fabrikam; its CA is
    # kept in the lab folder, so the credentials stored at an earlier start still trust it.
    entra_lab = EntraLab(credentials, settings.resolved_lab_dir / "graph")
    entra_lab.start()
    # The ticket system the demo writes outcomes back to (its own folder under the lab's).
    request_tracker = RequestTracker(settings.resolved_lab_dir / "rt")
    request_tracker.start()
    if settings.rt_url is None:
        settings = settings.model_copy(update=request_tracker.settings())
    base = f"http://{settings.host}:{settings.port}"
    wiring = None
    if (
        settings.webhook_sources_file is None
        and not settings.resolved_webhook_sources_file.exists()
    ):
        # No sources of your own: RT's scrip and a Nagios send their webhooks to this demo.
        wiring = DemoWiring(
            settings.resolved_lab_dir / "wiring", Path(sys.executable).parent / "fixline"
        )
        settings = settings.model_copy(update=wiring.up(base, request_tracker))
    token_file = settings.data_dir / "api-token"
    if settings.bootstrap_token is None:
        settings = settings.model_copy(update={"bootstrap_token": _demo_token(token_file)})
    if settings.login_ldap_url is None:
        # Agents log in against the helpdesk's accounts on the lab DC; the demo serves plain
        # HTTP on loopback, where a Secure cookie would never come back.
        login = lab.directory.login_settings() | {"session_cookie_secure": False}
        settings = settings.model_copy(update=login)
    typer.echo(
        "\n".join(
            [
                "",
                f"Fixline is starting at {base}",
                f"  API docs (OpenAPI):  {base}/docs",
                admin_token_hint(settings, token_file),
                f"  Agents sign in: POST {base}/auth/login with {{username, password}} "
                "(sample agents below)",
                "  Try:  .venv/bin/fixline run smoke_check --customer lab --ticket DEMO-1 "
                "--param host=lab-host --wait",
                "",
                lab.describe(),
                *mailbox_lab.describe(),
                *entra_lab.describe(),
                request_tracker.describe(),
                *(wiring.describe() if wiring is not None else []),
                "",
                "Stop with Ctrl-C (the lab keeps running; `fixline lab down` stops it).",
                "",
            ]
        )
    )
    _serve(create_app(settings), settings.host, settings.port)


def admin_token_hint(settings: Settings, token_file: Path) -> str:
    """Where the demo's admin token is: the file, never the token itself."""
    if not token_file.exists():
        return "  Admin token: FIXLINE_BOOTSTRAP_TOKEN of your settings"
    hours = settings.bootstrap_token_ttl_s / 3600
    return (
        f"  Admin token: in {token_file} (mode 0600, valid {hours:g} h; a new one at each "
        f"start). Send it as `Authorization: Bearer $(cat {token_file})`, or paste it into "
        "'Authorize' there"
    )


def _demo_token(path: Path) -> SecretStr:
    """A fresh admin token in a file only its owner reads; it is never printed (a terminal's
    scrollback and the logs an operator keeps are read by more people than the file is)."""
    from pydantic import SecretStr

    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    # Created 0600 in one call: no moment where another local user could open it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return SecretStr(token)


def _serve(asgi_app: FastAPI, host: str, port: int) -> None:
    import gc

    import uvicorn

    # The app's own objects (modules, routes, schemas, mappers: about 200,000) live as long
    # as the process. Frozen, a full collection no longer walks them: it took 230 ms on a
    # 2-core test machine, a pause for whichever requests were running when it came.
    gc.collect()
    gc.freeze()
    setup_logging()  # (again, for `demo`: basicConfig does nothing the second time)

    # uvloop and httptools instead of asyncio's own loop and the pure-Python h11 parser:
    # about 3 ms less per request on the directory bench (bench/directory.py). Named, so a
    # missing one fails at start instead of falling back silently.
    # log_config=None: uvicorn's lines (the access log too) go through the one plain handler
    # setup_logging made, in the service's format, next to the service's own lines.
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1 (its
    # forwarded_allow_ips default) and let any local caller pick its address; the app reads
    # forwarded headers itself, from FIXLINE_TRUSTED_PROXIES only (app.py).
    uvicorn.run(
        asgi_app,
        host=host,
        port=port,
        log_config=None,
        log_level="info",
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
    )
