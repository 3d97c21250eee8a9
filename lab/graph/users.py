"""User routes: list and search, get, PATCH (password, accountEnabled), revokeSignInSessions."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from lab.graph.call import Answer, Call, pick
from lab.graph.errors import COMPLEXITY, SYNCED, bad_request
from lab.graph.query import Rules, select_only
from lab.graph.render import USER_DEFAULT, USER_PROPERTIES, user_json
from lab.graph.state import User, utcnow, visible

READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
PASSWORD = ("User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
ENABLE = ("User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
REVOKE = ("User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
USER_RULES = Rules(
    "user",
    USER_PROPERTIES,
    filterable=frozenset({"userPrincipalName", "onPremisesSamAccountName", "mail", "id"}),
    searchable=frozenset({"displayName", "userPrincipalName", "mail", "givenName", "surname"}),
)
# Properties a PATCH may carry in the simulator (the ones Fixline changes).
WRITABLE = frozenset({"passwordProfile", "accountEnabled"})


def default_view(user: User) -> dict[str, object]:
    rendered = user_json(user)
    return {name: rendered[name] for name in USER_DEFAULT}


def list_users(call: Call) -> Answer:
    call.needs(*READ)
    users = sorted(
        (u for u in call.tenant.users.values() if visible(u)), key=lambda u: u.display_name
    )
    # Decoded first: clients may send "$" percent-encoded (httpx does).
    selected = "$select" in dict(parse_qsl(call.query))
    answer = call.listing(users, USER_RULES, user_json, "users")
    if not selected and answer.body is not None:
        values = answer.body["value"]
        assert isinstance(values, list)
        answer.body["value"] = [{k: v[k] for k in USER_DEFAULT} for v in values]
    return answer


def get_user(call: Call) -> Answer:
    call.needs(*READ)
    user = call.user(call.args[0])
    select = select_only(call.query, USER_RULES)
    body = pick(user_json(user), select) if select else default_view(user)
    return Answer(200, {"@odata.context": call.context("users/$entity"), **body})


def patch_user(call: Call) -> Answer:
    user = call.user(call.args[0])
    changes = call.json()
    unknown = sorted(set(changes) - WRITABLE)
    if unknown:
        raise bad_request(f"Property '{unknown[0]}' is not writable in the simulator.")
    if "passwordProfile" in changes:
        call.needs(*PASSWORD)
    if "accountEnabled" in changes:
        call.needs(*ENABLE)
    if user.on_premises_sync_enabled:
        raise bad_request(SYNCED)
    call.protect_admin(user)
    profile = changes.get("passwordProfile")
    password: str | None = None
    force = False
    if profile is not None:
        if not isinstance(profile, dict) or not isinstance(profile.get("password"), str):
            raise bad_request("Invalid value specified for property 'passwordProfile'.")
        password = profile["password"]
        force = bool(profile.get("forceChangePasswordNextSignIn", True))
        if not complex_enough(password, user):
            raise bad_request(COMPLEXITY)
    enabled = changes.get("accountEnabled")
    if "accountEnabled" in changes and not isinstance(enabled, bool):
        raise bad_request("Invalid value specified for property 'accountEnabled'.")
    if password is not None:
        user.password = password
        user.force_change_password = force
        user.last_password_change = utcnow()
    if isinstance(enabled, bool):
        user.account_enabled = enabled
    call.touched(user)
    return Answer(204)


def revoke_sessions(call: Call) -> Answer:
    """Works for synced users too: sessions live in Entra ID whatever the source of truth."""
    call.needs(*REVOKE)
    user = call.user(call.args[0])
    user.sign_in_sessions_valid_from = utcnow()
    return Answer(200, {"@odata.context": call.context("Edm.Boolean"), "value": True})


def complex_enough(password: str, user: User) -> bool:
    """Entra ID's rule: 8 to 256 characters, three of four kinds, not the user's name."""
    if not 8 <= len(password) <= 256:
        return False
    kinds = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
    if sum(bool(re.search(kind, password)) for kind in kinds) < 3:
        return False
    alias = user.user_principal_name.split("@")[0].lower()
    return alias not in password.lower()
