"""Mailbox settings and the inbox folder of the Graph simulator's Exchange Online: shapes as
Graph answers them, automatic replies on, off and scheduled, and every refusal of a PATCH."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.graph_lab.test_users import error_of
from tests.plugins.graph_lab import GraphLab

WEST = "W. Europe Standard Time"


def settings_url(alias: str) -> str:
    return f"/users/{alias}@fabrikam.example/mailboxSettings"


def replies_of(lab: GraphLab, alias: str) -> dict[str, Any]:
    response = lab.client().get(settings_url(alias))
    assert response.status_code == 200, response.text
    return dict(response.json()["automaticRepliesSetting"])


def patch(lab: GraphLab, alias: str, body: object) -> httpx.Response:
    return lab.client().patch(settings_url(alias), json=body)


def window(start: str, end: str, zone: str = WEST) -> dict[str, object]:
    return {
        "scheduledStartDateTime": {"dateTime": start, "timeZone": zone},
        "scheduledEndDateTime": {"dateTime": end, "timeZone": zone},
    }


def test_settings_carry_zone_and_replies_as_exchange_stores_them(graph_lab: GraphLab) -> None:
    body = graph_lab.client().get(settings_url("isaiah.langer")).json()
    isaiah = graph_lab.user_id("isaiah.langer")
    assert body["@odata.context"].endswith(f"/v1.0/$metadata#users('{isaiah}')/mailboxSettings")
    assert body["timeZone"] == "GMT Standard Time"
    assert body["automaticRepliesSetting"] == {
        "status": "scheduled",
        "externalAudience": "contactsOnly",
        "scheduledStartDateTime": {"dateTime": "2030-03-20T18:00:00.0000000", "timeZone": "UTC"},
        "scheduledEndDateTime": {"dateTime": "2030-03-28T18:00:00.0000000", "timeZone": "UTC"},
        "internalReplyMessage": (
            "<html>\n<body>\n<div>I'm at the sales kick-off and answer from 29 March.</div>\n"
            "</body>\n</html>\n"
        ),
        "externalReplyMessage": (
            "<html>\n<body>\n<div>I'm travelling and answer from 29 March.</div>\n</body>\n"
            "</html>\n"
        ),
    }
    diego = replies_of(graph_lab, "diego.siciliani")
    assert (diego["status"], diego["externalAudience"]) == ("alwaysEnabled", "none")
    assert "until 3 April.<br>\nFor HR questions" in diego["internalReplyMessage"]
    assert replies_of(graph_lab, "megan.bowen")["status"] == "alwaysEnabled"
    adele = graph_lab.client().get(settings_url("adele.vance")).json()
    assert adele["timeZone"] == "Pacific Standard Time"
    assert adele["automaticRepliesSetting"]["status"] == "disabled"
    assert adele["automaticRepliesSetting"]["internalReplyMessage"] == ""
    selected = graph_lab.client().get(f"{settings_url('adele.vance')}?$select=timeZone").json()
    assert set(selected) == {"@odata.context", "timeZone"}


def test_turn_replies_on_then_off_keeps_the_messages(graph_lab: GraphLab) -> None:
    html = "<html><body><p>Away until Monday.<br>Urgent: call the desk.</p></body></html>"
    on = {"status": "alwaysEnabled", "externalAudience": "all", "internalReplyMessage": html,
          "externalReplyMessage": html}  # fmt: skip
    response = patch(graph_lab, "adele.vance", {"automaticRepliesSetting": on})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"@odata.context", "automaticRepliesSetting"}
    assert body["automaticRepliesSetting"]["internalReplyMessage"] == html
    assert replies_of(graph_lab, "adele.vance")["status"] == "alwaysEnabled"
    off = patch(graph_lab, "adele.vance", {"automaticRepliesSetting": {"status": "disabled"}})
    assert off.json()["automaticRepliesSetting"]["externalReplyMessage"] == html
    after = replies_of(graph_lab, "adele.vance")
    assert (after["status"], after["internalReplyMessage"]) == ("disabled", html)


def test_schedule_in_the_mailbox_zone_is_kept_in_utc(graph_lab: GraphLab) -> None:
    # Graph's own example spells the member "Scheduled" and sends the @odata.context back.
    body = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Me/mailboxSettings",
        "automaticRepliesSetting": {
            "status": "Scheduled",
            **window("2031-07-01T09:00:00", "2031-07-15T17:30:00.0000000"),
        },
    }
    answer = patch(graph_lab, "megan.bowen", body).json()["automaticRepliesSetting"]
    assert answer["status"] == "scheduled"
    # Berlin is two hours ahead of UTC in July.
    assert answer["scheduledStartDateTime"] == {
        "dateTime": "2031-07-01T07:00:00.0000000", "timeZone": "UTC",
    }  # fmt: skip
    assert answer["scheduledEndDateTime"]["dateTime"] == "2031-07-15T15:30:00.0000000"
    assert replies_of(graph_lab, "megan.bowen") == answer
    iana = window("2031-01-01T09:00:00", "2031-01-02T09:00:00", "America/New_York")
    moved = patch(graph_lab, "megan.bowen", {"automaticRepliesSetting": iana}).json()
    assert moved["automaticRepliesSetting"]["scheduledStartDateTime"]["dateTime"].startswith(
        "2031-01-01T14:00:00"
    )


def test_time_zone_changes(graph_lab: GraphLab) -> None:
    response = patch(graph_lab, "adele.vance", {"timeZone": "Tokyo Standard Time"})
    assert response.json() == {
        "@odata.context": response.json()["@odata.context"],
        "timeZone": "Tokyo Standard Time",
    }
    body = graph_lab.client().get(settings_url("adele.vance")).json()
    assert body["timeZone"] == body["workingHours"]["timeZone"]["name"] == "Tokyo Standard Time"
    message = error_of(patch(graph_lab, "adele.vance", {"timeZone": "Mars"}), 400,
                       "InvalidTimeZone")  # fmt: skip
    assert message == "Time Zone settings provided are invalid."


UNREADABLE = [
    ({"automaticReplies": {}}, "The property 'automaticReplies' does not exist on type "
     "'microsoft.graph.mailboxSettings'. Make sure to only use property names that are defined "
     "by the type or mark the type as open type."),
    ({"automaticRepliesSetting": {"state": "disabled"}}, "The property 'state' does not exist "
     "on type 'microsoft.graph.automaticRepliesSetting'. Make sure to only use property names "
     "that are defined by the type or mark the type as open type."),
    ({"automaticRepliesSetting": {"scheduledEndDateTime": {"date": "2031-01-01",
                                                           "timeZone": "UTC"}}},
     "The property 'date' does not exist on type 'microsoft.graph.dateTimeTimeZone'. Make sure "
     "to only use property names that are defined by the type or mark the type as open type."),
    ({"automaticRepliesSetting": "alwaysEnabled"}, "An unexpected 'PrimitiveValue' node was "
     "found when reading from the JSON reader. A 'StartObject' node was expected."),
    ({"automaticRepliesSetting": {"internalReplyMessage": ["a"]}}, "An unexpected 'StartArray' "
     "node was found when reading from the JSON reader. A 'PrimitiveValue' node was expected."),
    ({"timeZone": 1}, "Cannot convert the literal '1' to the expected type 'Edm.String'."),
    ({"automaticRepliesSetting": {"scheduledEndDateTime": {"dateTime": None, "timeZone": "UTC"}}},
     "A null value was found for the property named 'dateTime', which has the expected type "
     "'Edm.String[Nullable=False]'. The expected type 'Edm.String[Nullable=False]' does not "
     "allow null values."),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), UNREADABLE)
def test_bodies_graph_cannot_read_are_refused(
    graph_lab: GraphLab, body: dict[str, object], message: str
) -> None:
    assert error_of(patch(graph_lab, "megan.bowen", body), 400, "RequestBodyRead") == message
    assert replies_of(graph_lab, "megan.bowen")["status"] == "alwaysEnabled"


@pytest.mark.parametrize(
    ("replies", "code"),
    [
        ({"status": "onHoliday"}, "InvalidArguments"),
        ({"externalAudience": "everyone"}, "InvalidArguments"),
        # No window sent: the stored one (the seed's, long past) is empty of future days.
        ({"status": "scheduled"}, "ErrorInvalidScheduledOofDuration"),
        ({"status": "scheduled", **window("2031-02-01T00:00:00", "2031-01-01T00:00:00")},
         "ErrorInvalidScheduledOofDuration"),
        ({"status": "scheduled", **window("2020-01-01T00:00:00", "2020-01-05T00:00:00")},
         "ErrorInvalidScheduledOofDuration"),
        ({"status": "scheduled", **window("2031-01-01T00:00:00", "2031-01-05T00:00:00", "Mars")},
         "TimeZoneNotSupportedException"),
        ({"scheduledStartDateTime": {"dateTime": "2031-01-01T00:00:00"}},
         "TimeZoneNotSupportedException"),
        ({"status": "scheduled", **window("next monday", "2031-01-05T00:00:00")},
         "ErrorPropertyValidationFailure"),
    ],
)  # fmt: skip
def test_replies_exchange_refuses(
    graph_lab: GraphLab, replies: dict[str, object], code: str
) -> None:
    before = replies_of(graph_lab, "megan.bowen")
    response = patch(graph_lab, "megan.bowen", {"automaticRepliesSetting": replies})
    message = error_of(response, 400, code)
    assert replies_of(graph_lab, "megan.bowen") == before
    if code == "InvalidArguments":
        assert message == f"Requested value '{next(iter(replies.values()))}' was not found."
    if code == "TimeZoneNotSupportedException":
        assert message.startswith("A valid TimeZone value must be specified.")


def test_a_scheduled_mailbox_may_keep_its_window(graph_lab: GraphLab) -> None:
    """Exchange keeps the stored window when none is sent: Isaiah's is still ahead."""
    body = {"automaticRepliesSetting": {"status": "scheduled", "externalAudience": "all"}}
    answer = patch(graph_lab, "isaiah.langer", body).json()["automaticRepliesSetting"]
    assert answer["scheduledStartDateTime"]["dateTime"] == "2030-03-20T18:00:00.0000000"


def test_settings_the_simulator_does_not_model_are_refused(graph_lab: GraphLab) -> None:
    response = patch(graph_lab, "adele.vance", {"language": {"locale": "de-DE"}})
    assert "not writable in the simulator" in error_of(response, 400, "BadRequest")


def test_inbox_folder(graph_lab: GraphLab) -> None:
    alex = graph_lab.user_id("alex.wilber")
    response = graph_lab.client().get(f"/users/{alex}/mailFolders/inbox")
    body = response.json()
    assert body["@odata.context"].endswith(f"$metadata#users('{alex}')/mailFolders/$entity")
    assert body["displayName"] == "Inbox"
    assert body["id"].startswith("AAMkA") and body["parentFolderId"].startswith("AAMkA")
    assert body["totalItemCount"] >= body["unreadItemCount"] >= 0
    assert body["isHidden"] is False
    counts = {
        graph_lab.client()
        .get(f"/users/{alias}@fabrikam.example/mailFolders/Inbox")
        .json()["totalItemCount"]
        for alias in ("alex.wilber", "adele.vance", "megan.bowen")
    }
    assert len(counts) == 3, "each inbox has counts of its own"
