"""Wire the web page into the app: its routes, its assets, and HTML answers on its paths."""

from __future__ import annotations

import inspect
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from runner_api.auth.errors import AuthenticationError, PermissionDeniedError
from runner_api.errors import FixlineError
from runner_api.web.pages import LOGIN_PATH, PAGE_HEADERS, PAGE_PREFIX, build_router

_HERE = Path(__file__).parent
STATIC_PATH = f"{PAGE_PREFIX}/static"


def install_web(app: FastAPI) -> None:
    """Add the pages, the static assets and the page-side error answers to `app`.

    Call after install_error_handlers: on non-page paths the API's JSON handler still answers.
    """
    templates = Jinja2Templates(directory=_HERE / "templates")
    app.include_router(build_router(templates))
    # Public like the login page: stylesheets and scripts hold no data.
    app.mount(STATIC_PATH, StaticFiles(directory=_HERE / "static"), name="web-static")
    api_handler = app.exception_handlers[FixlineError]

    async def on_page_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(exc, AuthenticationError):
            # A page asked for without a session goes to the login, and back afterwards.
            return RedirectResponse(f"{LOGIN_PATH}?next={quote(request.url.path)}", 303)
        return templates.TemplateResponse(
            request,
            "denied.html",
            {
                "caller": None,
                "page": "denied",
                "prefix": PAGE_PREFIX,
                "reason": getattr(exc, "message", ""),
            },
            status_code=403,
            headers=PAGE_HEADERS,
        )

    app.add_exception_handler(AuthenticationError, on_page_error)
    app.add_exception_handler(PermissionDeniedError, on_page_error)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path.startswith(PAGE_PREFIX + "/") and not path.startswith(STATIC_PATH + "/")
