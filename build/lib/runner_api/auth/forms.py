"""HTML form posts (application/x-www-form-urlencoded), read with the standard library.

python-multipart, which Starlette's request.form() needs, is not a dependency; a login
page and its CSRF field need nothing beyond URL-encoded fields.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FIELDS = 50


async def form_fields(request: Request) -> dict[str, str] | None:
    """The fields of a URL-encoded body; None when the body is something else."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return None
    # Starlette keeps the body, so the route can still read it afterwards.
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:  # more fields than any of our forms has
        return {}
    return dict(pairs)
