"""Authentication-method routes: list, delete by kind, issue a Temporary Access Pass, and the
v1.0 way to read a user's default method (reports/authenticationMethods/userRegistrationDetails:
`userPreferredMethodForSecondaryAuthentication`; `signInPreferences` is beta only).

Deleting the default method while other MFA methods remain is refused as Graph refuses it;
the password method cannot be deleted (the simulator answers 400 badRequest).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from lab.graph.call import Answer, Call
from lab.graph.errors import DEFAULT_METHOD, GraphError, not_found
from lab.graph.render import METHOD_TYPES, method_json, stamp
from lab.graph.state import MFA_KINDS, PASSWORD_METHOD_ID, AuthMethod, User, utcnow

READ = ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All")
WRITE = ("UserAuthenticationMethod.ReadWrite.All",)
TAP = ("UserAuthMethod-TAP.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All")
REPORTS = ("AuditLog.Read.All",)
TAP_MINUTES = (10, 43200)


def _refusal(status: int, message: str) -> GraphError:
    # The authentication-methods service writes its codes in lower camel case.
    return GraphError(status, "badRequest" if status == 400 else "forbidden", message,
                      inner_message=True)  # fmt: skip


def password_method(user: User) -> AuthMethod:
    return AuthMethod(PASSWORD_METHOD_ID, "password", user.created, {"password": None})


def list_methods(call: Call) -> Answer:
    call.needs(*READ)
    user = call.user(call.args[0])
    methods = [password_method(user), *user.methods]
    return Answer(
        200,
        {
            "@odata.context": call.context(f"users('{user.id}')/authentication/methods"),
            "value": [method_json(m) for m in methods],
        },
    )


def delete_method(call: Call) -> Answer:
    user_key, segment, method_id = call.args
    kind = segment.removesuffix("Methods")
    if kind not in METHOD_TYPES or not segment.endswith("Methods"):
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    call.needs(*WRITE)
    user = call.user(user_key)
    if kind == "password":
        raise _refusal(400, "The password authentication method cannot be deleted.")
    method = next((m for m in user.methods if m.id == method_id and m.kind == kind), None)
    if method is None:
        raise not_found(method_id)
    call.protect_admin(user)
    others = [m for m in user.methods if m.kind in MFA_KINDS and m.id != method.id]
    if method.id == user.default_method_id and others:
        raise _refusal(400, DEFAULT_METHOD)
    user.methods.remove(method)
    if user.default_method_id == method.id:
        user.default_method_id = None
    return Answer(204)


def create_tap(call: Call) -> Answer:
    """A new pass replaces the user's old one; the pass is in this answer only."""
    call.needs(*TAP)
    user = call.user(call.args[0])
    call.protect_admin(user)
    body = call.json()
    lifetime = body.get("lifetimeInMinutes", 60)
    once = body.get("isUsableOnce", False)
    if not isinstance(lifetime, int) or not TAP_MINUTES[0] <= lifetime <= TAP_MINUTES[1]:
        raise _refusal(
            400,
            f"lifetimeInMinutes must be between {TAP_MINUTES[0]} and {TAP_MINUTES[1]}.",
        )
    if not isinstance(once, bool):
        raise _refusal(400, "isUsableOnce must be a boolean.")
    now = utcnow()
    start = _start(body.get("startDateTime"), now)
    usable = start <= now
    method = AuthMethod(
        str(uuid.uuid4()),
        "temporaryAccessPass",
        now,
        {
            "temporaryAccessPass": _pass(),
            "startDateTime": stamp(start),
            "lifetimeInMinutes": lifetime,
            "isUsableOnce": once,
            "isUsable": usable,
            "methodUsabilityReason": "EnabledByPolicy" if usable else "NotYetValid",
        },
    )
    user.methods = [m for m in user.methods if m.kind != "temporaryAccessPass"] + [method]
    context = call.context(f"users('{user.id}')/authentication/temporaryAccessPassMethods/$entity")
    return Answer(201, {"@odata.context": context, **method_json(method, reveal=True)})


def registration_details(call: Call) -> Answer:
    call.needs(*REPORTS)
    user = call.user(call.args[0])
    kinds = {m.kind for m in user.methods}
    registered = sorted(_registered_name(m) for m in user.methods)
    mfa = bool(kinds & set(MFA_KINDS))
    return Answer(
        200,
        {
            "@odata.context": call.context(
                "reports/authenticationMethods/userRegistrationDetails/$entity"
            ),
            "id": user.id,
            "userPrincipalName": user.user_principal_name,
            "userDisplayName": user.display_name,
            "userType": "member" if user.user_type == "Member" else "guest",
            "isAdmin": call.tenant.holds_admin_role(user.id),
            "isMfaCapable": mfa,
            "isMfaRegistered": mfa,
            "isPasswordlessCapable": bool(kinds & {"fido2", "microsoftAuthenticator"}),
            "isSsprCapable": mfa or "email" in kinds,
            "isSsprEnabled": True,
            "isSsprRegistered": mfa or "email" in kinds,
            "isSystemPreferredAuthenticationMethodEnabled": False,
            "lastUpdatedDateTime": stamp(utcnow()),
            "methodsRegistered": registered,
            "systemPreferredAuthenticationMethods": [],
            "userPreferredMethodForSecondaryAuthentication": _preferred(user),
        },
    )


def _preferred(user: User) -> str:
    """The userDefaultAuthenticationMethod member naming the user's default method."""
    method = next((m for m in user.methods if m.id == user.default_method_id), None)
    if method is None:
        return "none"
    if method.kind == "microsoftAuthenticator":
        return "push"
    if method.kind == "softwareOath":
        return "oath"
    if method.kind == "phone":
        return {"alternateMobile": "voiceAlternateMobile", "office": "voiceOffice"}.get(
            str(method.details.get("phoneType")), "sms"
        )
    return "none"


def _registered_name(method: AuthMethod) -> str:
    names = {
        "microsoftAuthenticator": "microsoftAuthenticatorPush",
        "phone": "mobilePhone",
        "fido2": "passKeyDeviceBound",
        "softwareOath": "softwareOneTimePasscode",
        "email": "email",
        "temporaryAccessPass": "temporaryAccessPass",
    }
    return names[method.kind]


def _start(value: object, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise _refusal(400, "startDateTime must be a DateTimeOffset.")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _refusal(400, "startDateTime must be a DateTimeOffset.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _pass() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+&=#"
    return "".join(secrets.choice(alphabet) for _ in range(12))
