"""Where a login may be posted from: the service's own origin (login CSRF).

A page of another site can post the login form with the attacker's own credentials and
sign the victim's browser in as the attacker. Browsers send `Origin` on every POST (and
`Referer` unless told not to), so a login whose Origin, or else Referer, is not one of the
service's own origins is refused. A request with neither comes from no browser (curl, a
script): it carries no cookie of a victim, so it is let through.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from runner_api.auth.authorize import denial
from runner_api.auth.errors import PermissionDeniedError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL or origin, lower case, default port left out; None for
    anything else (the opaque origin "null" included)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


def check_login_origin(request: Request, public_origins: list[str]) -> None:
    """PermissionDeniedError (audited) when the login comes from another site's page."""
    sent = request.headers.get("origin")
    if sent is None:
        referer = request.headers.get("referer")
        if referer is None:
            return
        sent = referer
    own = {origin_of(origin) for origin in public_origins}
    if not own:
        own = {origin_of(f"{request.url.scheme}://{request.headers.get('host', '')}")}
    came_from = origin_of(sent)
    if came_from is None or came_from not in own:
        raise denial(
            PermissionDeniedError(
                "a login posted from another site is refused; sign in on Fixline's own page",
                reason="cross_origin",
            ),
            "cross_origin",
        )
