"""Who holds what: role assignments and a user's (transitive) memberships.

v1.0 declares `roleManagement/directory/roleAssignments` (direct assignments, to a user or a
role-assignable group) and `users/{id}/transitiveMemberOf` (groups and activated directory
roles, through groups too). `transitiveRoleAssignments` exists in beta only, where it needs
`ConsistencyLevel: eventual` and `$count=true`; the simulator serves it there and answers
v1.0 as Graph does, "Resource not found for the segment".
"""

from __future__ import annotations

from lab.graph.call import Answer, Call
from lab.graph.errors import bad_request, unsupported_query
from lab.graph.groups import MEMBER_PROPERTIES
from lab.graph.query import Rules, parse
from lab.graph.render import directory_object, role_assignment_json
from lab.graph.state import Group, RoleAssignment, Tenant, User, visible

ROLES_READ = ("RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory",
              "Directory.Read.All", "Directory.ReadWrite.All")  # fmt: skip
MEMBERSHIP_READ = ("User.Read.All", "GroupMember.Read.All", "Directory.Read.All",
                   "Directory.ReadWrite.All")  # fmt: skip
ASSIGNMENT_RULES = Rules(
    "unifiedRoleAssignment",
    frozenset(
        {"id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId", "condition"}
    ),
    filterable=frozenset({"principalId", "roleDefinitionId"}),
)
MEMBERSHIP_RULES = Rules("directoryObject", MEMBER_PROPERTIES)


def role_assignments(call: Call) -> Answer:
    call.needs(*ROLES_READ)
    return call.listing(
        call.tenant.role_assignments,
        ASSIGNMENT_RULES,
        role_assignment_json,
        "roleManagement/directory/roleAssignments",
    )


def transitive_role_assignments(call: Call) -> Answer:
    """Beta: the principal's assignments and those of the groups it is in."""
    call.needs(*ROLES_READ)
    query = parse(call.query, ASSIGNMENT_RULES, call.eventual)
    if not call.eventual or not query.count:
        raise bad_request(
            "This request requires the ConsistencyLevel header set to eventual and $count=true.",
            "Request_UnsupportedQuery",
        )
    if query.filter is None or query.filter[0] != "principalId":
        raise unsupported_query("A $filter on principalId is required.")
    return call.listing(
        call.tenant.transitive_assignments(query.filter[1].lower()),
        ASSIGNMENT_RULES,
        role_assignment_json,
        "roleManagement/directory/transitiveRoleAssignments",
        apply_filter=False,
    )


def member_of(call: Call) -> Answer:
    call.needs(*MEMBERSHIP_READ)
    user = call.user(call.args[0])
    tenant = call.tenant
    groups = [g for g in tenant.groups.values() if user.id in g.members and visible(g)]
    roles = _roles([a for a in tenant.role_assignments if a.principal_id == user.id], tenant)
    return _memberships(call, [*groups, *roles], tenant)


def transitive_member_of(call: Call) -> Answer:
    call.needs(*MEMBERSHIP_READ)
    user = call.user(call.args[0])
    tenant = call.tenant
    groups = [g for g in tenant.groups_of(user.id) if visible(g)]
    roles = _roles(tenant.transitive_assignments(user.id), tenant)
    return _memberships(call, [*groups, *roles], tenant)


def _memberships(
    call: Call, objects: list[Group | User | tuple[str, str]], tenant: Tenant
) -> Answer:
    return call.listing(
        objects, MEMBERSHIP_RULES, lambda o: directory_object(o, tenant), "directoryObjects"
    )


def _roles(assignments: list[RoleAssignment], tenant: Tenant) -> list[tuple[str, str]]:
    """Activated directoryRoles (template id, object id) behind the assignments, once each."""
    templates = sorted({a.role_definition_id for a in assignments})
    return [(t, tenant.directory_roles[t]) for t in templates if t in tenant.directory_roles]
