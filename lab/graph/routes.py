"""The Graph routes the simulator serves, and how a path finds its handler.

A path that no route knows is answered as Graph answers it: 400 "Resource not found for the
segment '<first unknown segment>'"; a known path with another method, 405.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lab.graph import calendars, groups, methods, roles, rules, settings, users
from lab.graph.call import Answer, Call
from lab.graph.errors import GraphError, no_segment

Handler = Callable[[Call], Answer]
ANY = "{}"
ROLES = "roleManagement/directory"
REGISTRATIONS = "reports/authenticationMethods/userRegistrationDetails"
INBOX_RULES = "users/{}/mailFolders/inbox/messageRules"
CALENDAR = "users/{}/calendar/calendarPermissions"


@dataclass(frozen=True)
class Route:
    version: str
    method: str
    pattern: tuple[str, ...]
    handler: Handler
    # A write: what lose_answer applies before dropping the connection.
    write: bool = False


def _r(method: str, path: str, handler: Handler, version: str = "v1.0") -> Route:
    return Route(version, method, tuple(path.split("/")), handler, method != "GET")


ROUTES = (
    _r("GET", "users", users.list_users),
    _r("GET", "users/{}", users.get_user),
    _r("PATCH", "users/{}", users.patch_user),
    _r("POST", "users/{}/revokeSignInSessions", users.revoke_sessions),
    _r("GET", "users/{}/memberOf", roles.member_of),
    _r("GET", "users/{}/transitiveMemberOf", roles.transitive_member_of),
    _r("GET", "users/{}/authentication/methods", methods.list_methods),
    _r("POST", "users/{}/authentication/temporaryAccessPassMethods", methods.create_tap),
    _r("DELETE", "users/{}/authentication/{}/{}", methods.delete_method),
    _r("GET", f"{REGISTRATIONS}/{{}}", methods.registration_details),
    _r("GET", "groups", groups.list_groups),
    _r("GET", "groups/{}", groups.get_group),
    _r("GET", "groups/{}/members", groups.list_members),
    _r("POST", "groups/{}/members/$ref", groups.add_member),
    _r("DELETE", "groups/{}/members/{}/$ref", groups.remove_member),
    _r("GET", f"{ROLES}/roleAssignments", roles.role_assignments),
    _r("GET", f"{ROLES}/transitiveRoleAssignments", roles.transitive_role_assignments, "beta"),
    # Exchange Online (lab/graph/exchange.py): mailbox settings, the inbox, its rules, sharing.
    _r("GET", "users/{}/mailboxSettings", settings.get_settings),
    _r("PATCH", "users/{}/mailboxSettings", settings.patch_settings),
    _r("GET", "users/{}/mailFolders/inbox", settings.get_inbox),
    _r("GET", INBOX_RULES, rules.list_rules),
    _r("POST", INBOX_RULES, rules.create_rule),
    _r("DELETE", f"{INBOX_RULES}/{{}}", rules.delete_rule),
    _r("GET", CALENDAR, calendars.list_permissions),
    _r("POST", CALENDAR, calendars.grant),
    _r("PATCH", f"{CALENDAR}/{{}}", calendars.update),
    _r("DELETE", f"{CALENDAR}/{{}}", calendars.revoke),
)
VERSIONS = frozenset(route.version for route in ROUTES)


def find(version: str, method: str, segments: list[str]) -> tuple[Route, list[str]]:
    """The route for a request and its variable segments; GraphError when there is none."""
    candidates = [r for r in ROUTES if r.version == version]
    matched = [r for r in candidates if _matches(r.pattern, segments)]
    for route in matched:
        if route.method == method:
            args = [s for s, p in zip(segments, route.pattern, strict=True) if p == ANY]
            return route, args
    if matched:
        message = "Specified HTTP method is not allowed for the request target."
        raise GraphError(405, "Request_BadRequest", message)
    depth = max((_known_prefix(r.pattern, segments) for r in candidates), default=0)
    raise no_segment(segments[depth] if depth < len(segments) else version)


def _matches(pattern: tuple[str, ...], segments: list[str]) -> bool:
    return len(pattern) == len(segments) and _known_prefix(pattern, segments) == len(segments)


def _known_prefix(pattern: tuple[str, ...], segments: list[str]) -> int:
    """How many leading segments the pattern accepts."""
    count = 0
    for want, got in zip(pattern, segments, strict=False):
        if want != ANY and want.lower() != got.lower():
            break
        count += 1
    return count
