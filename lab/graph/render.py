"""Objects as Graph v1.0 writes them: property names and JSON types of the published CSDL.

tests/graph_lab/test_conformance.py checks every property rendered here against
lab/graph/schema/v1.0-subset.csdl; add a property there before sending it here.
"""

from __future__ import annotations

import datetime as dt

from lab.graph.state import ROLE_NAMES, AuthMethod, Group, RoleAssignment, Tenant, User

Json = dict[str, object]
# What GET /users and /users/{id} return without $select (Graph's default set).
USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
METHOD_TYPES = {
    "password": "passwordAuthenticationMethod",
    "microsoftAuthenticator": "microsoftAuthenticatorAuthenticationMethod",
    "phone": "phoneAuthenticationMethod",
    "fido2": "fido2AuthenticationMethod",
    "softwareOath": "softwareOathAuthenticationMethod",
    "email": "emailAuthenticationMethod",
    "temporaryAccessPass": "temporaryAccessPassAuthenticationMethod",
}


def stamp(when: dt.datetime | None) -> str | None:
    """Graph's directory timestamps: UTC, whole seconds, Z."""
    return None if when is None else when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_json(user: User) -> Json:
    """Every user property the simulator models."""
    return {
        "id": user.id,
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "accountEnabled": user.account_enabled,
        "createdDateTime": stamp(user.created),
        "department": user.department,
        "mailNickname": user.user_principal_name.split("@")[0],
        "userType": user.user_type,
        "onPremisesSyncEnabled": user.on_premises_sync_enabled,
        "onPremisesSamAccountName": user.on_premises_sam_account_name,
        "onPremisesImmutableId": user.on_premises_immutable_id,
        "onPremisesDomainName": user.on_premises_domain_name,
        "lastPasswordChangeDateTime": stamp(user.last_password_change or user.created),
        "signInSessionsValidFromDateTime": stamp(user.sign_in_sessions_valid_from or user.created),
        # Graph never returns the password; the flags are readable.
        "passwordProfile": {
            "forceChangePasswordNextSignIn": user.force_change_password,
            "forceChangePasswordNextSignInWithMfa": False,
            "password": None,
        },
    }


USER_PROPERTIES = frozenset(user_json(User("x", "x@x", "x")))


def group_json(group: Group) -> Json:
    unified = "Unified" in group.group_types
    return {
        "id": group.id,
        "createdDateTime": stamp(group.created),
        "description": group.description,
        "displayName": group.display_name,
        "groupTypes": list(group.group_types),
        "isAssignableToRole": group.is_assignable_to_role or None,
        "mail": group.mail,
        "mailEnabled": group.mail_enabled,
        "mailNickname": group.mail_nickname or group.display_name.replace(" ", ""),
        "onPremisesSyncEnabled": group.on_premises_sync_enabled,
        "securityEnabled": group.security_enabled,
        "visibility": "Private" if unified else None,
    }


GROUP_PROPERTIES = frozenset(group_json(Group("x", "x")))


def directory_object(obj: User | Group | tuple[str, str], tenant: Tenant) -> Json:
    """A member of a directoryObject collection, with its @odata.type.

    A (role template id, directoryRole id) pair stands for an activated directory role.
    """
    if isinstance(obj, User):
        return {"@odata.type": "#microsoft.graph.user", **user_json(obj)}
    if isinstance(obj, Group):
        return {"@odata.type": "#microsoft.graph.group", **group_json(obj)}
    template, role_id = obj
    return {
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": role_id,
        "deletedDateTime": None,
        "description": f"Members of this role hold {ROLE_NAMES.get(template, 'a')} rights.",
        "displayName": ROLE_NAMES.get(template, template),
        "roleTemplateId": template,
    }


def method_json(method: AuthMethod, reveal: bool = False) -> Json:
    """One authentication method; a TAP's pass only when just created (`reveal`)."""
    body: Json = {
        "@odata.type": f"#microsoft.graph.{METHOD_TYPES[method.kind]}",
        "id": method.id,
        "createdDateTime": stamp(method.created),
        **method.details,
    }
    if method.kind == "temporaryAccessPass" and not reveal:
        body["temporaryAccessPass"] = None
    return body


def role_assignment_json(assignment: RoleAssignment) -> Json:
    return {
        "id": assignment.id,
        "principalId": assignment.principal_id,
        "roleDefinitionId": assignment.role_definition_id,
        "directoryScopeId": assignment.directory_scope_id,
        "appScopeId": None,
        "condition": None,
    }
