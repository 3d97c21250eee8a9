"""The page routes under /ui: each a shell that one permission opens (include_in_schema off,
so the OpenAPI schema and the API's authorization matrix stay about the JSON API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import AuthMethod, Principal
from runner_api.auth.sessions import COOKIE_NAME, SessionStore
from runner_api.customers.registry import CustomerRegistry
from runner_api.routing.services import service
from runner_api.runs.status import RunStatus
from runner_api.settings import Settings
from runner_api.tickets.links import TicketLink, ticket_link

CustomersDep = Annotated[CustomerRegistry, service(CustomerRegistry)]
SessionsDep = Annotated[SessionStore, service(SessionStore)]
SettingsDep = Annotated[Settings, service(Settings)]

PAGE_PREFIX = "/ui"
LOGIN_PATH = f"{PAGE_PREFIX}/login"
# The page's scripts and styles come from here only; no inline script can run.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# (path, template, navigation label, permission): each page is opened by one permission,
# and the navigation shows only the pages the caller's role opens.
PAGES: list[tuple[str, str, str, Permission]] = [
    ("/", "fix", "New fix", Permission.RUN_CREATE),
    ("/runs", "runs", "Runs", Permission.RUN_READ),
    ("/approvals", "approvals", "Approvals", Permission.APPROVAL_DECIDE),
    ("/audit", "audit", "Audit", Permission.AUDIT_READ),
    ("/sla", "sla", "SLA", Permission.AUDIT_READ),
    ("/vetting", "vetting", "Vetting", Permission.CATALOG_READ),
    ("/tokens", "tokens", "Tokens", Permission.TOKENS_MANAGE),
]
Reader = Annotated[Principal, Depends(require(Permission.RUN_READ))]


@dataclass(frozen=True)
class Shell:
    """What every page's frame shows besides the page: the CSRF token, the customers and
    where a ticket id links to."""

    sessions: SessionStore
    customers: CustomerRegistry
    ticket_link: TicketLink | None


async def _shell(sessions: SessionsDep, customers: CustomersDep, settings: SettingsDep) -> Shell:
    return Shell(sessions, customers, ticket_link(settings))


ShellDep = Annotated[Shell, Depends(_shell)]
Render = Callable[..., HTMLResponse]


def build_router(templates: Jinja2Templates) -> APIRouter:
    """The page routes, rendering from `templates`."""
    router = APIRouter(prefix=PAGE_PREFIX, include_in_schema=False)

    def render(
        request: Request, shell: Shell, caller: Principal | None, page: str, **extra: object
    ) -> HTMLResponse:
        context: dict[str, object] = {"caller": caller, "page": page, "prefix": PAGE_PREFIX}
        if caller is not None:
            context["csrf_token"] = _csrf(request, shell.sessions, caller)
            context["nav"] = [
                (PAGE_PREFIX + path, label) for path, _, label, perm in PAGES if caller.has(perm)
            ]
            context["customers"] = _customers(shell.customers, caller)
            # Who may ask for runs is told, on every page, when one of theirs was decided.
            context["tells_decisions"] = caller.has(Permission.RUN_CREATE)
            context["ticket_link"] = shell.ticket_link
            context["run_statuses"] = [status.value for status in RunStatus]
        return templates.TemplateResponse(
            request, f"{page}.html", context | extra, headers=PAGE_HEADERS
        )

    @router.get("/login")
    def login_page(request: Request, shell: ShellDep, next: str = "") -> HTMLResponse:
        # Public: the form posts to /auth/login; `next` is kept only if it is one of our pages.
        target = next if next.startswith(PAGE_PREFIX + "/") and "//" not in next else ""
        return render(request, shell, None, "login", next=target or PAGE_PREFIX + "/")

    for path, page, _, permission in PAGES:
        _add_page(router, render, path, page, permission)

    @router.get("/runs/{run_id}")
    def run_page(run_id: str, request: Request, shell: ShellDep, caller: Reader) -> HTMLResponse:
        # Whether the run may be seen is the API's answer to the page's first read.
        return render(request, shell, caller, "run", run_id=run_id)

    return router


def _add_page(
    router: APIRouter, render: Render, path: str, page: str, permission: Permission
) -> None:
    caller_dep = Depends(require(permission))

    def show(request: Request, shell: ShellDep, caller: Principal = caller_dep) -> HTMLResponse:
        return render(request, shell, caller, page)

    show.__name__ = f"{page}_page"
    router.add_api_route(path, show, methods=["GET"], response_class=HTMLResponse)


def _csrf(request: Request, sessions: SessionStore, caller: Principal) -> str:
    token = request.cookies.get(COOKIE_NAME)
    if caller.method is not AuthMethod.SESSION or not token:
        return ""  # a bearer caller sends no cookie, so it needs no CSRF token
    return sessions.csrf_token(token)


def _customers(customers: CustomerRegistry, caller: Principal) -> list[str]:
    return sorted(c.name for c in customers if caller.sees_customer(c.name))
