"""Every property the simulator sends is declared in Microsoft's v1.0 CSDL, with its type.

The schema is lab/graph/schema/v1.0-subset.csdl, cut from the published file by
lab/graph/schema/cut.py; the second test checks the cut against the published file when a
copy of it is at hand (../shared/reference/graph/, or FIXLINE_GRAPH_CSDL).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lab.graph.render import GROUP_PROPERTIES, USER_PROPERTIES
from lab.graph.schema import cut
from lab.graph.schema.model import EDM, Schema, subset
from tests.graph_lab.test_users import EVENTUAL
from tests.plugins.graph_lab import GraphLab

REPO = Path(__file__).resolve().parents[2]
SCHEMA = subset()


def check_object(obj: object, type_name: str, where: str) -> None:
    assert isinstance(obj, dict), f"{where}: {obj!r} is no object"
    odata_type = obj.get("@odata.type")
    if odata_type is not None:
        actual = str(odata_type).removeprefix("#microsoft.graph.")
        assert actual in SCHEMA.types, f"{where}: {odata_type} is not in the subset"
        assert SCHEMA.derives(actual, type_name), f"{where}: {actual} is no {type_name}"
        type_name = actual
    declared = SCHEMA.properties(type_name)
    for name, value in obj.items():
        if name.startswith("@odata."):
            continue
        assert name in declared, f"{where}: {type_name} declares no property {name!r}"
        prop = declared[name]
        check_value(value, prop.type, prop.nullable, f"{where}.{name}")


def check_value(value: object, declared: str, nullable: bool, where: str) -> None:
    if declared.startswith("Collection("):
        assert isinstance(value, list), f"{where}: a collection, not {value!r}"
        for index, item in enumerate(value):
            check_value(item, declared[len("Collection(") : -1], False, f"{where}[{index}]")
        return
    if value is None:
        assert nullable, f"{where}: null for a non-nullable {declared}"
        return
    name = cut.local(declared)
    if name is not None:
        element = SCHEMA.types.get(name)
        assert element is not None, f"{where}: type {declared} is not in the subset"
        members = SCHEMA.members(name)
        if members is not None:
            assert value in members, f"{where}: {value!r} is no member of {declared}"
        else:
            check_object(value, name, where)
        return
    check_edm(value, declared, where)


def check_edm(value: object, declared: str, where: str) -> None:
    if declared == "Edm.Boolean":
        assert isinstance(value, bool), f"{where}: {value!r} is no Boolean"
    elif declared == "Edm.Int32":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: not Int32"
        assert -(2**31) <= value < 2**31, f"{where}: {value} overflows Int32"
    elif declared == "Edm.String":
        assert isinstance(value, str), f"{where}: {value!r} is no String"
    elif declared == "Edm.DateTimeOffset":
        assert isinstance(value, str), f"{where}: {value!r} is no DateTimeOffset"
        assert dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    elif declared == "Edm.Guid":
        assert isinstance(value, str)
        uuid.UUID(value)
    elif declared == "Edm.TimeOfDay":
        assert isinstance(value, str), f"{where}: {value!r} is no TimeOfDay"
        assert re.fullmatch(r"\d{2}:\d{2}:\d{2}(\.\d{1,7})?", value), f"{where}: {value!r}"
    else:
        raise AssertionError(f"{where}: the test knows no {declared}")


def answers(lab: GraphLab) -> list[tuple[str, object, str, bool]]:
    """(where, JSON answer, declared type, is a collection) for every kind of answer."""
    fabrikam, hybrid = lab.client(), lab.client("lab")
    megan, lee = lab.user_id("megan.bowen"), lab.user_id("lee.gu")
    henry = lab.user_id("henry.moreau", "lab")
    every_user = ",".join(sorted(USER_PROPERTIES))
    every_group = ",".join(sorted(GROUP_PROPERTIES))
    tap = fabrikam.post(
        f"/users/{megan}/authentication/temporaryAccessPassMethods",
        json={"lifetimeInMinutes": 60, "isUsableOnce": True},
    )
    beta = f"{lab.simulator.url}/beta/roleManagement/directory/transitiveRoleAssignments"
    gets = [
        (fabrikam, "/users", "user", True),
        (fabrikam, f"/users?$select={every_user}", "user", True),
        (hybrid, f"/users?$select={every_user}", "user", True),
        (fabrikam, f"/users/{megan}", "user", False),
        (hybrid, f"/users/{henry}?$select={every_user}", "user", False),
        (fabrikam, f"/groups?$select={every_group}", "group", True),
        (hybrid, "/groups", "group", True),
        (fabrikam, f"/groups/{lab.group_id('Project Falcon')}", "group", False),
        (fabrikam, f"/groups/{lab.group_id('IT Admins')}/members", "directoryObject", True),
        (fabrikam, f"/users/{lee}/memberOf", "directoryObject", True),
        (fabrikam, f"/users/{lee}/transitiveMemberOf", "directoryObject", True),
        (fabrikam, f"/users/{megan}/authentication/methods", "authenticationMethod", True),
        (hybrid, f"/users/{henry}/authentication/methods", "authenticationMethod", True),
        (fabrikam, "/roleManagement/directory/roleAssignments", "unifiedRoleAssignment", True),
        (fabrikam, f"{beta}?$count=true&$filter=principalId eq '{lee}'", "unifiedRoleAssignment",
         True),
        (fabrikam, f"/reports/authenticationMethods/userRegistrationDetails/{megan}",
         "userRegistrationDetails", False),
    ]  # fmt: skip
    found: list[tuple[str, object, str, bool]] = [
        ("POST temporaryAccessPassMethods", tap.json(), "authenticationMethod", False)
    ]
    for client, url, type_name, many in gets:
        response = client.get(url, headers=EVENTUAL)
        assert response.status_code == 200, (url, response.text)
        found.append((f"GET {url}", response.json(), type_name, many))
    return found


def check_answer(lab: GraphLab, where: str, body: object, type_name: str, many: bool) -> None:
    assert isinstance(body, dict), where
    assert str(body["@odata.context"]).startswith(f"{lab.simulator.url}/")
    if many:
        assert body["value"], f"{where}: an empty answer proves nothing"
        for index, item in enumerate(body["value"]):
            check_object(item, type_name, f"{where}[{index}]")
    else:
        check_object(body, type_name, where)


def test_every_property_sent_is_declared_with_its_type(graph_lab: GraphLab) -> None:
    for where, body, type_name, many in answers(graph_lab):
        check_answer(graph_lab, where, body, type_name, many)


def mail_answers(lab: GraphLab) -> list[tuple[str, object, str, bool]]:
    """Every kind of answer of the Exchange Online routes, changes included."""
    fabrikam, hybrid = lab.client(), lab.client("lab")
    rules = "/users/alex.wilber@fabrikam.example/mailFolders/inbox/messageRules"
    calendar = "/users/adele.vance@fabrikam.example/calendar/calendarPermissions"
    writes = [
        ("PATCH", "/users/megan.bowen@fabrikam.example/mailboxSettings", {
            "timeZone": "UTC",
            "automaticRepliesSetting": {
                "status": "scheduled", "externalAudience": "contactsOnly",
                "scheduledStartDateTime": {"dateTime": "2031-01-01T08:00:00", "timeZone": "UTC"},
                "scheduledEndDateTime": {"dateTime": "2031-01-09T08:00:00", "timeZone": "UTC"},
                "internalReplyMessage": "<p>Away</p>", "externalReplyMessage": "<p>Away</p>"},
        }, "mailboxSettings"),
        ("POST", rules, {
            "displayName": "Every predicate kind", "sequence": 5, "isEnabled": False,
            "conditions": {"senderContains": ["x"], "fromAddresses": [
                {"emailAddress": {"address": "lee.gu@fabrikam.example"}}],
                "importance": "high", "withinSizeRange": {"minimumSize": 1, "maximumSize": 9},
                "sensitivity": "private", "messageActionFlag": "followUp", "isSigned": True},
            "exceptions": {"subjectContains": ["y"]},
            "actions": {"redirectTo": [{"emailAddress": {"address": "x@example.net"}}],
                        "assignCategories": ["Red"], "markImportance": "low"},
        }, "messageRule"),
        ("POST", calendar, {"emailAddress": {"address": "kim@contoso.example"},
                            "role": "freeBusyRead"}, "calendarPermission"),
        ("PATCH", f"{calendar}/RGVmYXVsdA==", {"role": "none"}, "calendarPermission"),
    ]  # fmt: skip
    found: list[tuple[str, object, str, bool]] = []
    for method, url, body, type_name in writes:
        response = fabrikam.request(method, url, json=body)
        assert response.status_code in (200, 201), (url, response.text)
        found.append((f"{method} {url}", response.json(), type_name, False))
    gets = [
        (fabrikam, "/users/isaiah.langer@fabrikam.example/mailboxSettings", "mailboxSettings",
         False),
        (fabrikam, "/users/diego.siciliani@fabrikam.example/mailboxSettings", "mailboxSettings",
         False),
        (hybrid, "/users/henry.moreau@lab.test/mailboxSettings", "mailboxSettings", False),
        (fabrikam, "/users/alex.wilber@fabrikam.example/mailFolders/inbox", "mailFolder", False),
        (fabrikam, rules, "messageRule", True),
        (fabrikam, calendar, "calendarPermission", True),
        (hybrid, "/users/zoe.martin@lab.test/calendar/calendarPermissions", "calendarPermission",
         True),
    ]  # fmt: skip
    for client, url, type_name, many in gets:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        found.append((f"GET {url}", response.json(), type_name, many))
    return found


# Exchange's answers leave no declared property out (a rule's empty predicate sets aside).
COMPLETE = {"mailboxSettings", "mailFolder", "calendarPermission", "automaticRepliesSetting"}


def test_every_mail_answer_is_declared_with_its_type(graph_lab: GraphLab) -> None:
    for where, body, type_name, many in mail_answers(graph_lab):
        check_answer(graph_lab, where, body, type_name, many)
        assert isinstance(body, dict)
        items = body["value"] if many else [body]
        if type_name in COMPLETE and not where.startswith("PATCH /users"):
            for item in items:
                missing = set(SCHEMA.properties(type_name)) - set(item)
                assert not missing, f"{where}: {type_name} without {sorted(missing)}"
        replies = body.get("automaticRepliesSetting")
        if isinstance(replies, dict):
            assert set(replies) == set(SCHEMA.properties("automaticRepliesSetting")), where


def test_revoke_answers_an_edm_boolean(graph_lab: GraphLab) -> None:
    user = graph_lab.user_id("alex.wilber")
    body = graph_lab.client().post(f"/users/{user}/revokeSignInSessions").json()
    assert body["@odata.context"].endswith("$metadata#Edm.Boolean")
    check_edm(body["value"], "Edm.Boolean", "revokeSignInSessions")


def published_csdl() -> Path | None:
    candidates = [
        os.environ.get("FIXLINE_GRAPH_CSDL", ""),
        *(str(up / "shared/reference/graph/v1.0-Prod.csdl") for up in REPO.parents[:2]),
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_the_subset_is_the_cut_of_the_published_schema() -> None:
    source = published_csdl()
    if source is None:
        pytest.fail(
            "Microsoft's published v1.0-Prod.csdl was not found: set FIXLINE_GRAPH_CSDL to its "
            "path (microsoftgraph/msgraph-metadata, schemas/v1.0-Prod.csdl)"
        )
    published = ET.parse(source).getroot()  # noqa: S314 (Microsoft's published schema)
    assert cut.render(cut.cut(published)) == cut.SUBSET.read_text()
    # And type by type: same attributes, properties and members as published.
    full = Schema.load(source)
    for name, element in SCHEMA.types.items():
        original = full.types[name]
        assert element.attrib == original.attrib, name
        for tag in ("Property", "Member"):
            mine = [e.attrib for e in element.findall(f"{EDM}{tag}")]
            theirs = [e.attrib for e in original.findall(f"{EDM}{tag}")]
            assert mine == theirs, (name, tag)
