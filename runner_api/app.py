"""The app factory: create_app(settings) builds everything; nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from runner_api import __version__
from runner_api.api.body_limit import BodyLimit
from runner_api.api.docs import install_docs
from runner_api.api.errors import install_error_handlers
from runner_api.api.health import router as health_router
from runner_api.approvals.router import router as approvals_router
from runner_api.auth.deps import audit_marked_denial
from runner_api.auth.login_router import router as login_router
from runner_api.catalog.router import router as catalog_router
from runner_api.core import Core
from runner_api.directory.router import router as directory_router
from runner_api.mailbox.router import router as mailbox_router
from runner_api.notify.router import router as notify_router
from runner_api.reports.router import router as audit_router
from runner_api.reveals.router import router as reveals_router
from runner_api.runs.limits_router import router as limits_router
from runner_api.runs.router import router as runs_router
from runner_api.secrets.router import router as credentials_router
from runner_api.settings import Settings
from runner_api.sites.router import router as sites_router
from runner_api.tickets.router import router as tickets_router
from runner_api.tokens.router import router as tokens_router
from runner_api.web.install import install_web
from runner_api.webhooks.router import router as webhooks_router

DESCRIPTION = """
Fixline runs an IT helpdesk's routine first-line fixes as vetted one-step actions and
records every run against its ticket.

* `GET /actions` lists the vetted actions with the JSON Schema of their parameters.
* `POST /runs` starts one (answers 202 with the queued run); `GET /runs/{id}/events`
  follows it live; `POST /runs/{id}/cancel` stops it.
* Every error has the shape `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings, core: Core | None = None) -> FastAPI:
    """Build the API around a Core made from settings (or the one given)."""
    the_core = core or Core(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_core.start()
        try:
            yield
        finally:
            the_core.stop()

    app = FastAPI(
        title="Fixline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own pages load their scripts from a CDN: ours are served offline.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "runs", "description": "Runs of vetted actions, bound to tickets."},
            {"name": "approvals", "description": "High-risk runs waiting for a second person."},
            {"name": "actions", "description": "The vetted catalog."},
            {"name": "directory", "description": "Look up accounts before acting."},
            {"name": "mailbox", "description": "Look at a mailbox before acting."},
            {"name": "service", "description": "Health and metrics."},
            {"name": "audit", "description": "Read-only audit log: search, verify, evidence."},
            {"name": "auth", "description": "Agents sign in with their directory account."},
            {"name": "credentials", "description": "Write-only customer credentials (admins)."},
            {"name": "tokens", "description": "API tokens for integrations (admins)."},
            {"name": "webhooks", "description": "Signed deliveries from tickets and monitoring."},
        ],
    )
    app.state.core = the_core
    app.state.services = the_core.services
    install_error_handlers(app, on_denial=audit_marked_denial)
    # Bounded bodies, so a sender cannot flood us: nothing a first-line fix takes comes near
    # a megabyte.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_docs(app)
    if settings.trusted_proxies:
        # The one place forwarded headers are read (uvicorn's own reading is off, see
        # cli/serve.py): request.client is the forwarded client only behind these proxies.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(health_router)
    app.include_router(login_router)
    app.include_router(catalog_router)
    app.include_router(runs_router)
    app.include_router(limits_router)
    app.include_router(approvals_router)
    app.include_router(reveals_router)
    app.include_router(directory_router)
    app.include_router(mailbox_router)
    app.include_router(audit_router)
    app.include_router(credentials_router)
    app.include_router(notify_router)
    app.include_router(tokens_router)
    app.include_router(webhooks_router)
    app.include_router(tickets_router)
    app.include_router(sites_router)
    # The agents' web page (/ui): after the error handlers, whose JSON answers it keeps for the API.
    install_web(app)
    return app
