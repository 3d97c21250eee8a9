"""Groups, members and roles: which groups Graph lets an app change, and who holds a role."""

from __future__ import annotations

import pytest

from lab.graph.state import GLOBAL_ADMINISTRATOR, USER_ADMINISTRATOR
from tests.graph_lab.test_users import EVENTUAL, error_of
from tests.plugins.graph_lab import GraphLab


def ref(lab: GraphLab, user_id: str) -> dict[str, str]:
    return {"@odata.id": f"{lab.simulator.graph_url}/directoryObjects/{user_id}"}


def test_find_a_group_by_display_name(graph_lab: GraphLab) -> None:
    body = graph_lab.client().get("/groups?$filter=displayName eq 'Project Falcon'").json()
    (group,) = body["value"]
    assert group["groupTypes"] == ["Unified"]
    assert group["id"] == graph_lab.group_id("Project Falcon")
    single = graph_lab.client().get(f"/groups/{group['id']}?$select=id,mailEnabled").json()
    assert single["mailEnabled"] is True
    assert set(single) == {"@odata.context", "id", "mailEnabled"}


@pytest.mark.parametrize("name", ["VPN Users", "Project Falcon"])
def test_add_and_remove_a_member(graph_lab: GraphLab, name: str) -> None:
    client = graph_lab.client()
    group, alex = graph_lab.group_id(name), graph_lab.user_id("alex.wilber")
    assert (
        client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex)).status_code == 204
    )
    members = client.get(f"/groups/{group}/members?$select=id").json()["value"]
    assert {"@odata.type": "#microsoft.graph.user", "id": alex} in members
    again = client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex))
    assert "already exist" in error_of(again, 400, "Request_BadRequest")
    assert client.delete(f"/groups/{group}/members/{alex}/$ref").status_code == 204
    gone = client.delete(f"/groups/{group}/members/{alex}/$ref")
    assert "do not exist" in error_of(gone, 404, "Request_ResourceNotFound")


@pytest.mark.parametrize("name", ["Finance Mail-Enabled", "All Staff"])
def test_exchange_groups_are_refused(graph_lab: GraphLab, name: str) -> None:
    client = graph_lab.client()
    group, alex = graph_lab.group_id(name), graph_lab.user_id("alex.wilber")
    response = client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex))
    assert error_of(response, 400, "Request_BadRequest") == (
        "Cannot Update a mail-enabled security groups and or distribution list."
    )
    grady = graph_lab.user_id("grady.archie")
    error_of(client.delete(f"/groups/{group}/members/{grady}/$ref"), 400, "Request_BadRequest")


def test_role_assignable_groups_need_role_management(graph_lab: GraphLab) -> None:
    group, alex = graph_lab.group_id("IT Admins"), graph_lab.user_id("alex.wilber")
    response = graph_lab.client().post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex))
    error_of(response, 403, "Authorization_RequestDenied")
    app = graph_lab.tenant().apps[graph_lab.credentials["fabrikam"].client_id]
    app.permissions.add("RoleManagement.ReadWrite.Directory")
    again = graph_lab.client().post(f"/groups/{group}/members/$ref", json=ref(graph_lab, alex))
    assert again.status_code == 204


def test_synced_groups_are_changed_in_ad(graph_lab: GraphLab) -> None:
    group = graph_lab.group_id("VPN-Users", "lab")
    ben = graph_lab.user_id("ben.carter", "lab")
    response = graph_lab.client("lab").post(
        f"/groups/{group}/members/$ref", json=ref(graph_lab, ben)
    )
    assert "on-premises mastered" in error_of(response, 400, "Request_BadRequest")
    cloud = graph_lab.group_id("Cloud-Apps", "lab")
    added = graph_lab.client("lab").post(f"/groups/{cloud}/members/$ref", json=ref(graph_lab, ben))
    assert added.status_code == 204


def test_unknown_member_and_group(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    group = graph_lab.group_id("VPN Users")
    response = client.post(f"/groups/{group}/members/$ref", json=ref(graph_lab, "0" * 32))
    error_of(response, 404, "Request_ResourceNotFound")
    error_of(client.get("/groups/not-a-group"), 404, "Request_ResourceNotFound")


def test_role_assignments_direct_and_through_a_group(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    patti, lee = graph_lab.user_id("patti.fernandez"), graph_lab.user_id("lee.gu")
    direct = client.get(
        f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{patti}'"
    ).json()["value"]
    assert [a["roleDefinitionId"] for a in direct] == [GLOBAL_ADMINISTRATOR]
    assert (
        client.get(
            f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{lee}'"
        ).json()["value"]
        == []
    )
    v1 = client.get(
        f"/roleManagement/directory/transitiveRoleAssignments?$filter=principalId eq '{lee}'"
    )
    assert "transitiveRoleAssignments" in error_of(v1, 400, "BadRequest")
    beta = f"{graph_lab.simulator.url}/beta/roleManagement/directory/transitiveRoleAssignments"
    query = f"$count=true&$filter=principalId eq '{lee}'"
    error_of(client.get(f"{beta}?{query}"), 400, "Request_BadRequest")
    error_of(client.get(f"{beta}?$filter=principalId eq '{lee}'", headers=EVENTUAL), 400,
             "Request_UnsupportedQuery")  # fmt: skip
    body = client.get(f"{beta}?{query}", headers=EVENTUAL).json()
    assert body["@odata.count"] == 1
    assert body["value"][0]["roleDefinitionId"] == USER_ADMINISTRATOR
    assert body["value"][0]["principalId"] == graph_lab.group_id("IT Admins")


def test_transitive_member_of_shows_groups_and_roles(graph_lab: GraphLab) -> None:
    lee = graph_lab.user_id("lee.gu")
    body = graph_lab.client().get(f"/users/{lee}/transitiveMemberOf").json()
    kinds = {(o["@odata.type"], o["displayName"]) for o in body["value"]}
    assert kinds == {
        ("#microsoft.graph.group", "IT Admins"),
        ("#microsoft.graph.directoryRole", "User Administrator"),
    }
    direct = graph_lab.client().get(f"/users/{lee}/memberOf").json()["value"]
    assert [o["displayName"] for o in direct] == ["IT Admins"]
    plain = graph_lab.user_id("alex.wilber")
    names = [
        o["displayName"] for o in graph_lab.client().get(f"/users/{plain}/memberOf").json()["value"]
    ]
    assert names == ["Sales Team"]
