"""Who reaches a mailbox in the Graph simulator's Exchange Online: permissions (Exchange's 403),
users without a mailbox or unknown, tenant isolation, and the injected faults on mail routes."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from lab.graph import DEFAULT_PERMISSIONS
from tests.graph_lab.test_users import error_of
from tests.plugins.graph_lab import GraphLab

ADELE = "/users/adele.vance@fabrikam.example"
ALEX_RULE = "AQAAAJ5dZp8="
RULE = {"displayName": "Fixline: forward", "sequence": 9,
        "actions": {"forwardTo": [{"emailAddress": {"address": "a@example.net"}}]}}  # fmt: skip
GRANT = {"emailAddress": {"address": "lee.gu@fabrikam.example"}, "role": "read"}
# Every mail route: method, path under a user, body, the default permission that opens it.
ROUTES = [
    ("GET", "/mailboxSettings", None, "MailboxSettings.ReadWrite"),
    ("PATCH", "/mailboxSettings", {"timeZone": "UTC"}, "MailboxSettings.ReadWrite"),
    ("GET", "/mailFolders/inbox", None, "Mail.ReadBasic.All"),
    ("GET", "/mailFolders/inbox/messageRules", None, "MailboxSettings.ReadWrite"),
    ("POST", "/mailFolders/inbox/messageRules", RULE, "MailboxSettings.ReadWrite"),
    ("DELETE", f"/mailFolders/inbox/messageRules/{ALEX_RULE}", None, "MailboxSettings.ReadWrite"),
    ("GET", "/calendar/calendarPermissions", None, "Calendars.ReadWrite"),
    ("POST", "/calendar/calendarPermissions", GRANT, "Calendars.ReadWrite"),
    ("PATCH", "/calendar/calendarPermissions/RGVmYXVsdA==", {"role": "read"},
     "Calendars.ReadWrite"),
    ("DELETE", "/calendar/calendarPermissions/RGVmYXVsdA==", None, "Calendars.ReadWrite"),
]  # fmt: skip


def call(client: httpx.Client, method: str, url: str, body: object | None = None) -> httpx.Response:
    return (
        client.request(method, url, json=body) if body is not None else client.request(method, url)
    )


def test_the_default_grant_is_the_least_fixline_needs() -> None:
    mail = {p for p in DEFAULT_PERMISSIONS if p.split(".")[0] in {"Mail", "MailboxSettings",
                                                                  "Calendars"}}  # fmt: skip
    assert mail == {"MailboxSettings.ReadWrite", "Calendars.ReadWrite", "Mail.ReadBasic.All"}


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
def test_a_missing_permission_is_exchanges_403(
    graph_lab: GraphLab, method: str, path: str, body: object, permission: str
) -> None:
    graph_lab.simulator.deny(permission)
    client = graph_lab.client()
    message = error_of(call(client, method, ADELE + path, body), 403, "ErrorAccessDenied")
    assert message == "Access is denied. Check credentials and try again."
    # Checked before the user: an unknown one is denied the same way.
    error_of(call(client, method, "/users/nobody@fabrikam.example" + path, body), 403,
             "ErrorAccessDenied")  # fmt: skip
    assert client.get(ADELE).status_code == 200  # the directory is another service


def test_read_permissions_read_and_do_not_write(graph_lab: GraphLab) -> None:
    app = graph_lab.tenant().apps[graph_lab.credentials["fabrikam"].client_id]
    app.permissions -= {"MailboxSettings.ReadWrite", "Calendars.ReadWrite", "Mail.ReadBasic.All"}
    app.permissions |= {"MailboxSettings.Read", "Calendars.Read", "Mail.Read"}
    client = graph_lab.client()
    for method, path, body, _ in ROUTES:
        response = call(client, method, ADELE + path, body)
        if method == "GET":
            assert response.status_code == 200, (path, response.text)
        else:
            error_of(response, 403, "ErrorAccessDenied")


@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
def test_users_without_an_exchange_online_mailbox(
    graph_lab: GraphLab, method: str, path: str, body: object, permission: str
) -> None:
    fabrikam, hybrid = graph_lab.client(), graph_lab.client("lab")
    for client, user in ((fabrikam, "pradeep.gupta@fabrikam.example"),
                         (hybrid, graph_lab.user_id("breakglass", "lab"))):  # fmt: skip
        response = call(client, method, f"/users/{user}{path}", body)
        message = error_of(response, 404, "MailboxNotEnabledForRESTAPI")
        assert message == "The mailbox is either inactive, soft-deleted, or is hosted on-premise."


def test_unknown_users_and_other_tenants_users(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    message = error_of(client.get("/users/nobody@fabrikam.example/mailboxSettings"), 404,
                       "ErrorInvalidUser")  # fmt: skip
    assert message == "The requested user 'nobody@fabrikam.example' is invalid."
    henry = graph_lab.user_id("henry.moreau", "lab")
    error_of(client.get(f"/users/{henry}/calendar/calendarPermissions"), 404, "ErrorInvalidUser")
    assert graph_lab.client("lab").get(f"/users/{henry}/mailboxSettings").status_code == 200


def test_hybrid_users_have_mailboxes_in_exchange_online(graph_lab: GraphLab) -> None:
    client = graph_lab.client("lab")
    for alias in ("anna.schmidt", "paul.dubois", "zoe.martin"):
        body = client.get(f"/users/{alias}@lab.test/mailboxSettings").json()
        assert body["automaticRepliesSetting"]["status"] == "disabled", alias
    zones = {client.get(f"/users/{alias}@lab.test/mailboxSettings").json()["timeZone"]
             for alias in ("anna.schmidt", "paul.dubois")}  # fmt: skip
    assert zones == {"W. Europe Standard Time", "Romance Standard Time"}


def test_throttling_and_the_request_log_cover_mail_routes(graph_lab: GraphLab) -> None:
    graph_lab.simulator.throttle(1, retry_after_s=7)
    client = graph_lab.client()
    throttled = client.get(f"{ADELE}/mailboxSettings")
    error_of(throttled, 429, "TooManyRequests")
    assert throttled.headers["Retry-After"] == "7"
    assert client.get(f"{ADELE}/mailboxSettings").status_code == 200
    logged = [(r.method, r.path, r.status) for r in graph_lab.simulator.requests
              if r.path.endswith("/mailboxSettings")]  # fmt: skip
    path = "/v1.0/users/adele.vance@fabrikam.example/mailboxSettings"
    assert logged == [("GET", path, 429), ("GET", path, 200)]


def test_a_stalled_mail_answer_outlasts_a_client_timeout(graph_lab: GraphLab) -> None:
    graph_lab.simulator.stall(2.0, count=1)
    with pytest.raises(httpx.ReadTimeout):
        graph_lab.client().get(f"{ADELE}/calendar/calendarPermissions", timeout=0.3)
    graph_lab.simulator.clear_faults()


def test_lost_answers_of_mail_writes_are_applied(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    graph_lab.simulator.lose_answer(2)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{ADELE}/mailFolders/inbox/messageRules", json=RULE)
    on = {"automaticRepliesSetting": {"status": "alwaysEnabled"}}
    with pytest.raises(httpx.RemoteProtocolError):
        client.patch(f"{ADELE}/mailboxSettings", json=on)
    rules = client.get(f"{ADELE}/mailFolders/inbox/messageRules").json()["value"]
    assert [r["displayName"] for r in rules] == ["Fixline: forward"]
    settings = client.get(f"{ADELE}/mailboxSettings").json()
    assert settings["automaticRepliesSetting"]["status"] == "alwaysEnabled"
    assert [r.answered for r in graph_lab.simulator.requests[-4:-2]] == [False, False]


def test_replication_delay_hides_fresh_mail_changes(graph_lab: GraphLab) -> None:
    graph_lab.simulator.replication_delay(0.5)
    client = graph_lab.client()
    rule = client.post(f"{ADELE}/mailFolders/inbox/messageRules", json=RULE).json()
    grant = client.post(f"{ADELE}/calendar/calendarPermissions", json=GRANT).json()
    on = {"automaticRepliesSetting": {"status": "alwaysEnabled"}}
    assert client.patch(f"{ADELE}/mailboxSettings", json=on).status_code == 200
    assert client.get(f"{ADELE}/mailFolders/inbox/messageRules").json()["value"] == []
    # Exchange's ids are base64 and may hold "/" or "+": a path carries them percent-encoded.
    error_of(client.delete(f"{ADELE}/mailFolders/inbox/messageRules/{quote(rule['id'], safe='')}"),
             404, "ErrorItemNotFound")  # fmt: skip
    assert len(client.get(f"{ADELE}/calendar/calendarPermissions").json()["value"]) == 2
    replies = client.get(f"{ADELE}/mailboxSettings").json()["automaticRepliesSetting"]
    assert replies["status"] == "disabled"
    time.sleep(0.6)
    assert client.get(f"{ADELE}/mailFolders/inbox/messageRules").json()["value"] == [
        {k: v for k, v in rule.items() if k != "@odata.context"}
    ]
    entries = client.get(f"{ADELE}/calendar/calendarPermissions").json()["value"]
    assert grant["id"] in {e["id"] for e in entries}
    replies = client.get(f"{ADELE}/mailboxSettings").json()["automaticRepliesSetting"]
    assert replies["status"] == "alwaysEnabled"
