"""Group routes: list (by displayName), get, members, add and remove a member by $ref.

Graph changes members of security and Microsoft 365 groups only: mail-enabled security groups
and distribution lists are Exchange's (400), synced groups are on-premises AD's (400), and
role-assignable groups need RoleManagement.ReadWrite.Directory besides (403).
"""

from __future__ import annotations

from lab.graph.call import Answer, Call, pick
from lab.graph.errors import (
    MAIL_ENABLED,
    MEMBER_EXISTS,
    MEMBER_MISSING,
    SYNCED,
    GraphError,
    bad_request,
    denied,
    not_found,
)
from lab.graph.query import Rules, select_only
from lab.graph.render import GROUP_PROPERTIES, USER_PROPERTIES, directory_object, group_json
from lab.graph.state import Group, visible

READ = ("Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Group.ReadWrite.All",
        "GroupMember.ReadWrite.All", "Directory.ReadWrite.All")  # fmt: skip
WRITE = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
ROLE_GROUPS = ("RoleManagement.ReadWrite.Directory",)
GROUP_RULES = Rules(
    "group",
    GROUP_PROPERTIES,
    filterable=frozenset({"displayName", "mailNickname", "id"}),
    searchable=frozenset({"displayName", "description", "mail", "mailNickname"}),
)
# $select on a directoryObject collection: any user or group property.
MEMBER_PROPERTIES = GROUP_PROPERTIES | USER_PROPERTIES


def list_groups(call: Call) -> Answer:
    call.needs(*READ)
    groups = sorted(
        (g for g in call.tenant.groups.values() if visible(g)), key=lambda g: g.display_name
    )
    return call.listing(groups, GROUP_RULES, group_json, "groups")


def get_group(call: Call) -> Answer:
    call.needs(*READ)
    group = call.group(call.args[0])
    body = pick(group_json(group), select_only(call.query, GROUP_RULES))
    return Answer(200, {"@odata.context": call.context("groups/$entity"), **body})


def list_members(call: Call) -> Answer:
    call.needs(*READ)
    group = call.group(call.args[0])
    tenant = call.tenant
    members = [
        obj
        for key in group.members
        if (obj := tenant.users.get(key) or tenant.groups.get(key)) is not None and visible(obj)
    ]
    rules = Rules("directoryObject", MEMBER_PROPERTIES)
    return call.listing(members, rules, lambda o: directory_object(o, tenant), "directoryObjects")


def add_member(call: Call) -> Answer:
    call.needs(*WRITE)
    group = call.group(call.args[0])
    ref = call.json().get("@odata.id")
    if not isinstance(ref, str) or "/" not in ref:
        raise GraphError(400, "BadRequest", "Invalid object identifier in '@odata.id'.")
    member_id = ref.rstrip("/").rsplit("/", 1)[-1].lower()
    member = call.tenant.users.get(member_id) or call.tenant.groups.get(member_id)
    if member is None or not visible(member):
        raise not_found(member_id)
    _writable(call, group)
    if member_id in group.members:
        raise bad_request(MEMBER_EXISTS)
    group.members.append(member_id)
    call.touched(group)
    return Answer(204)


def remove_member(call: Call) -> Answer:
    call.needs(*WRITE)
    group = call.group(call.args[0])
    member_id = call.args[1].lower()
    _writable(call, group)
    if member_id not in group.members:
        raise GraphError(404, "Request_ResourceNotFound", MEMBER_MISSING)
    group.members.remove(member_id)
    call.touched(group)
    return Answer(204)


def _writable(call: Call, group: Group) -> None:
    if group.mail_enabled and "Unified" not in group.group_types:
        raise bad_request(MAIL_ENABLED)
    if group.on_premises_sync_enabled:
        raise bad_request(SYNCED)
    if group.is_assignable_to_role and not call.may(*ROLE_GROUPS):
        raise denied()
