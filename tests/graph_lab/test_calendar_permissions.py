"""Calendar sharing in the Graph simulator's Exchange Online: the default entry, grants to a
colleague and to an outside address, role changes, revokes, and what Exchange refuses."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from tests.graph_lab.test_users import error_of
from tests.plugins.graph_lab import GraphLab

MY_ORGANIZATION = "RGVmYXVsdA=="
LEE = {"name": "Lee", "address": "Lee.Gu@fabrikam.example"}


def calendar_url(alias: str) -> str:
    return f"/users/{alias}@fabrikam.example/calendar/calendarPermissions"


def entries_of(lab: GraphLab, alias: str) -> list[dict[str, Any]]:
    return lab.values(calendar_url(alias))


def test_every_calendar_starts_shared_with_my_organization(graph_lab: GraphLab) -> None:
    megan = graph_lab.user_id("megan.bowen")
    body = graph_lab.client().get(f"/users/{megan}/calendar/calendarPermissions").json()
    assert body["@odata.context"].endswith(
        f"$metadata#users('{megan}')/calendar/calendarPermissions"
    )
    assert body["value"] == [
        {
            "id": MY_ORGANIZATION,
            "isRemovable": False,
            "isInsideOrganization": True,
            "role": "freeBusyRead",
            "allowedRoles": ["none", "freeBusyRead", "limitedRead", "read", "write"],
            "emailAddress": {"name": "My Organization"},
        }
    ]
    assert base64.b64decode(MY_ORGANIZATION) == b"Default"


def test_an_existing_share_is_listed_before_my_organization(graph_lab: GraphLab) -> None:
    alex, organization = entries_of(graph_lab, "adele.vance")
    assert alex["emailAddress"] == {
        "name": "Alex Wilber",
        "address": "alex.wilber@fabrikam.example",
    }
    assert (alex["role"], alex["isRemovable"], alex["isInsideOrganization"]) == ("read", True, True)
    assert base64.b64decode(alex["id"]) == b"ExchangePublishedUser.alex.wilber@fabrikam.example"
    assert organization["id"] == MY_ORGANIZATION


def test_grant_change_and_revoke_for_a_colleague(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    sent = {"emailAddress": LEE, "role": "delegateWithPrivateEventAccess",
            "isInsideOrganization": True, "isRemovable": True}  # fmt: skip
    response = client.post(calendar_url("megan.bowen"), json=sent)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["@odata.context"].endswith("/calendar/calendarPermissions/$entity")
    # The directory's name and address, whatever the request spelled.
    assert entry["emailAddress"] == {"name": "Lee Gu", "address": "lee.gu@fabrikam.example"}
    assert (
        entry["id"] == base64.b64encode(b"ExchangePublishedUser.lee.gu@fabrikam.example").decode()
    )
    assert "delegateWithPrivateEventAccess" in entry["allowedRoles"]
    assert [e["id"] for e in entries_of(graph_lab, "megan.bowen")] == [entry["id"], MY_ORGANIZATION]
    url = f"{calendar_url('megan.bowen')}/{quote(entry['id'], safe='')}"
    changed = client.patch(url, json={"role": "write"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "write"
    assert entries_of(graph_lab, "megan.bowen")[0]["role"] == "write"
    assert client.delete(url).status_code == 204
    assert [e["id"] for e in entries_of(graph_lab, "megan.bowen")] == [MY_ORGANIZATION]
    error_of(client.delete(url), 404, "ErrorItemNotFound")
    error_of(client.patch(url, json={"role": "read"}), 404, "ErrorItemNotFound")


def test_outside_addresses_get_sharing_roles_only(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    partner = {"emailAddress": {"name": "Partner", "address": "kim@contoso.example"}}
    refused = client.post(calendar_url("megan.bowen"), json={**partner, "role": "write"})
    error_of(refused, 400, "ErrorInvalidPermissionSettings")
    response = client.post(calendar_url("megan.bowen"), json={**partner, "role": "limitedRead"})
    entry = response.json()
    assert (entry["isInsideOrganization"], entry["allowedRoles"]) == (
        False, ["freeBusyRead", "limitedRead", "read"],
    )  # fmt: skip
    assert entry["emailAddress"] == {"name": "Partner", "address": "kim@contoso.example"}
    url = f"{calendar_url('megan.bowen')}/{quote(entry['id'], safe='')}"
    error_of(client.patch(url, json={"role": "write"}), 400, "ErrorInvalidPermissionSettings")


def test_my_organization_changes_role_but_stays(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    url = f"{calendar_url('megan.bowen')}/{MY_ORGANIZATION}"
    assert client.patch(url, json={"role": "limitedRead"}).json()["role"] == "limitedRead"
    message = error_of(client.delete(url), 400, "ErrorCannotDeleteObject")
    assert message == "The object cannot be deleted."
    error_of(client.patch(url, json={"role": "delegateWithPrivateEventAccess"}), 400,
             "ErrorInvalidPermissionSettings")  # fmt: skip


def test_a_second_entry_for_the_same_person_is_refused(graph_lab: GraphLab) -> None:
    again = {"emailAddress": {"address": "ALEX.WILBER@fabrikam.example"}, "role": "write"}
    response = graph_lab.client().post(calendar_url("adele.vance"), json=again)
    error_of(response, 400, "ErrorDuplicateUserIdsSpecified")
    assert [e["role"] for e in entries_of(graph_lab, "adele.vance")] == ["read", "freeBusyRead"]


@pytest.mark.parametrize(
    "change",
    [
        {"emailAddress": {"name": "Someone", "address": "x@fabrikam.example"}},
        {"isRemovable": False},
        {"isInsideOrganization": False},
        {"allowedRoles": ["read"]},
        {"role": "write", "isRemovable": True},
    ],
)
def test_only_the_role_can_change(graph_lab: GraphLab, change: dict[str, object]) -> None:
    alex = entries_of(graph_lab, "adele.vance")[0]
    url = f"{calendar_url('adele.vance')}/{quote(alex['id'], safe='')}"
    response = graph_lab.client().patch(url, json=change)
    assert (
        error_of(response, 400, "ErrorInvalidPropertySet") == "Set action is invalid for property."
    )
    assert entries_of(graph_lab, "adele.vance")[0] == alex


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"emailAddress": LEE}, 400, "ErrorInvalidPermissionSettings"),
        ({"role": "read"}, 400, "ErrorInvalidPermissionSettings"),
        ({"emailAddress": {"name": "no address"}, "role": "read"}, 400,
         "ErrorInvalidPermissionSettings"),
        ({"emailAddress": LEE, "role": "custom"}, 400, "ErrorInvalidPermissionSettings"),
        ({"emailAddress": LEE, "role": "owner"}, 400, "InvalidArguments"),
        ({"emailAddress": LEE, "role": "read", "canEdit": True}, 400, "RequestBodyRead"),
        ({"emailAddress": {"mail": "lee.gu@fabrikam.example"}, "role": "read"}, 400,
         "RequestBodyRead"),
        ({"emailAddress": {"address": "nobody@fabrikam.example"}, "role": "read"}, 404,
         "ErrorInvalidUser"),
    ],
)  # fmt: skip
def test_grants_exchange_refuses(
    graph_lab: GraphLab, body: dict[str, object], status: int, code: str
) -> None:
    error_of(graph_lab.client().post(calendar_url("megan.bowen"), json=body), status, code)
    assert [e["id"] for e in entries_of(graph_lab, "megan.bowen")] == [MY_ORGANIZATION]
