"""The API reference page, /docs (Swagger UI), served offline.

FastAPI's own pages load their scripts from a CDN: blank without internet, and someone
else's code in an admin's browser. Here the scripts come from the pinned `fastapi-offline`
package (its copy of swagger-ui-dist 5; the hash is in requirements.lock), the page holds
no inline script, and its Content-Security-Policy allows only this origin. There is no
/redoc: ReDoc 2 always loads its logo from redocly's CDN, and Swagger UI shows the same.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from runner_api.errors import NotFoundError

ASSETS_PATH = "/docs/assets"
_OWN = Path(__file__).parent / "docs_assets"


def _assets() -> dict[str, tuple[Path, str]]:
    """name -> (file, media type): nothing else under ASSETS_PATH is ever served."""
    vendor = Path(str(files("fastapi_offline") / "static"))
    return {
        "swagger-ui-bundle.js": (vendor / "swagger-ui-bundle.js", "text/javascript"),
        "swagger-ui.css": (vendor / "swagger-ui.css", "text/css"),
        "favicon.png": (vendor / "favicon.png", "image/png"),
        "swagger-init.js": (_OWN / "swagger-init.js", "text/javascript"),
    }


# Styles inline: Swagger UI sets style attributes; scripts never are. "Try it out" calls
# this API (connect-src); nothing is loaded from, or sent to, anywhere else.
DOCS_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSET_HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def _page(title: str, openapi_url: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} - API reference</title>\n"
        f'<link rel="icon" href="{ASSETS_PATH}/favicon.png">\n'
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">\n</head>\n<body>\n'
        f'<div id="swagger-ui" data-openapi="{openapi_url}"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{ASSETS_PATH}/swagger-init.js"></script>\n</body>\n</html>\n'
    )


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """GET /docs and its assets; public (api/deps.PUBLIC_PATHS), they hold no data."""
    router = APIRouter(include_in_schema=False)
    page = _page(title, openapi_url)
    assets = _assets()

    @router.get("/docs")
    def swagger_page() -> HTMLResponse:
        return HTMLResponse(page, headers=DOCS_HEADERS)

    @router.get(f"{ASSETS_PATH}/{{name}}")
    def asset(name: str) -> FileResponse:
        if name not in assets:
            raise NotFoundError(f"no asset {name!r}")
        path, media_type = assets[name]
        return FileResponse(path, media_type=media_type, headers=_ASSET_HEADERS)

    return router


def install_docs(app: FastAPI) -> None:
    """Add the offline reference page (create the app with docs_url=redoc_url=None)."""
    assert app.openapi_url is not None
    app.include_router(docs_router(app.title, app.openapi_url))
