"""Inbox rules of the Graph simulator's Exchange Online: list (rules made elsewhere included),
create a forwarding rule, delete it, and what Exchange refuses."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from tests.graph_lab.test_users import error_of
from tests.plugins.graph_lab import GraphLab

GRADY = {"emailAddress": {"name": "Grady", "address": "grady.archie@fabrikam.example"}}
OUTSIDE = {"emailAddress": {"name": "Home", "address": "adele@example.net"}}


def rules_url(alias: str) -> str:
    return f"/users/{alias}@fabrikam.example/mailFolders/inbox/messageRules"


def rules_of(lab: GraphLab, alias: str) -> list[dict[str, Any]]:
    return lab.values(rules_url(alias))


def forward_rule(**overrides: object) -> dict[str, object]:
    rule: dict[str, object] = {
        "displayName": "Fixline: forward",
        "sequence": 3,
        "isEnabled": True,
        "actions": {"forwardTo": [OUTSIDE], "stopProcessingRules": False},
    }
    rule.update(overrides)
    return rule


def test_rules_made_elsewhere_are_listed_in_sequence(graph_lab: GraphLab) -> None:
    alex = graph_lab.user_id("alex.wilber")
    body = graph_lab.client().get(rules_url("alex.wilber")).json()
    assert body["@odata.context"].endswith(
        f"$metadata#users('{alex}')/mailFolders('inbox')/messageRules"
    )
    newsletters, invoices = body["value"]
    assert (newsletters["displayName"], newsletters["sequence"]) == ("Newsletters", 1)
    assert "forwardTo" not in newsletters["actions"]
    assert invoices["displayName"] == "Invoices to Grady"
    assert invoices["actions"]["forwardTo"] == [
        {"emailAddress": {"name": "Grady Archie", "address": "grady.archie@fabrikam.example"}}
    ]
    assert (invoices["isEnabled"], invoices["hasError"], invoices["isReadOnly"]) == (
        True, False, False,
    )  # fmt: skip
    # Exchange's rule ids: base64 of 8 bytes, 01 00 00 00 first.
    assert base64.b64decode(invoices["id"])[:4] == b"\x01\x00\x00\x00"
    assert rules_of(graph_lab, "adele.vance") == []


@pytest.mark.parametrize("action", ["forwardTo", "redirectTo"])
def test_create_and_delete_a_forwarding_rule(graph_lab: GraphLab, action: str) -> None:
    client = graph_lab.client()
    sent = forward_rule(
        conditions={"senderContains": ["contoso"]},
        actions={action: [OUTSIDE, GRADY], "stopProcessingRules": True},
    )
    response = client.post(rules_url("alex.wilber"), json=sent)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["@odata.context"].endswith("/mailFolders('inbox')/messageRules/$entity")
    assert created["displayName"] == "Fixline: forward"
    assert (created["sequence"], created["hasError"], created["isReadOnly"]) == (3, False, False)
    # A colleague's address gets their display name; senderContains comes back upper-cased.
    assert created["actions"][action] == [
        OUTSIDE,
        {"emailAddress": {"name": "Grady Archie", "address": "grady.archie@fabrikam.example"}},
    ]
    assert created["conditions"] == {"senderContains": ["CONTOSO"]}
    listed = rules_of(graph_lab, "alex.wilber")
    assert [r["displayName"] for r in listed] == [
        "Newsletters", "Invoices to Grady", "Fixline: forward",
    ]  # fmt: skip
    assert len({r["id"] for r in listed}) == 3
    url = f"{rules_url('alex.wilber')}/{quote(created['id'], safe='')}"
    assert client.delete(url).status_code == 204
    assert [r["displayName"] for r in rules_of(graph_lab, "alex.wilber")] == [
        "Newsletters", "Invoices to Grady",
    ]  # fmt: skip
    gone = error_of(client.delete(url), 404, "ErrorItemNotFound")
    assert gone == "The specified object was not found in the store."


def test_unknown_rule_ids_are_not_found(graph_lab: GraphLab) -> None:
    response = graph_lab.client().delete(f"{rules_url('alex.wilber')}/AQAAAJ5dZp8=")
    error_of(response, 404, "ErrorItemNotFound")
    assert len(rules_of(graph_lab, "alex.wilber")) == 2


@pytest.mark.parametrize(
    ("rule", "status", "code"),
    [
        (forward_rule(displayName=""), 400, "ErrorInboxRulesValidationError"),
        ({"sequence": 1, "actions": {"delete": True}}, 400, "ErrorInboxRulesValidationError"),
        (forward_rule(sequence=None), 400, "ErrorInboxRulesValidationError"),
        (forward_rule(actions={}), 400, "ErrorInboxRulesValidationError"),
        (forward_rule(actions={"forwardTo": [{"emailAddress": {"name": "x"}}]}), 400,
         "ErrorInvalidRecipients"),
        (forward_rule(actions={"forwardTo": [{"address": "a@example.net"}]}), 400,
         "RequestBodyRead"),
        (forward_rule(actions={"forwardTo": OUTSIDE}), 400, "RequestBodyRead"),
        (forward_rule(actions={"forwardTo": [OUTSIDE], "forwardToAll": True}), 400,
         "RequestBodyRead"),
        (forward_rule(sequence="1"), 400, "RequestBodyRead"),
        (forward_rule(isEnabled="yes"), 400, "RequestBodyRead"),
        (forward_rule(actions={"markImportance": "urgent"}), 400, "InvalidArguments"),
    ],
)  # fmt: skip
def test_rules_exchange_refuses(
    graph_lab: GraphLab, rule: dict[str, object], status: int, code: str
) -> None:
    error_of(graph_lab.client().post(rules_url("adele.vance"), json=rule), status, code)
    assert rules_of(graph_lab, "adele.vance") == []


def test_a_json_null_collection_is_unreadable(graph_lab: GraphLab) -> None:
    response = graph_lab.client().post(
        rules_url("adele.vance"), json=forward_rule(actions={"forwardTo": None})
    )
    message = error_of(response, 400, "RequestBodyRead")
    assert "'Collection(microsoft.graph.recipient)[Nullable=False]'" in message
