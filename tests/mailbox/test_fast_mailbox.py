"""Mailbox fixes through the API on the fast tier: the real Core, account guardrail and
approvals, with FakeMailbox for Exchange and FakeDirectory for the accounts behind the
addresses. Mirrors tests/api/test_mailbox_api.py and the approvals' forwarding case."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lab.ews.lab import DELETED_USER_SID
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.mailbox.gateway import OofState
from tests.approvals.test_api import bearer
from tests.fakes import FakeMailbox
from tests.plugins.fakes import Fakes, run_fix, wait_for_end

ANNA = "anna.schmidt@lab.test"
OUTSIDE = "someone@elsewhere.example"


def test_out_of_office_set_and_read_back(fast_client: TestClient, fakes: Fakes) -> None:
    preview = run_fix(
        fast_client, "mailbox_oof_set", "INC-400", check_mode=True, mailbox=ANNA,
        internal_message="Back Monday.",
    )  # fmt: skip
    assert preview["summary"] == f"would turn on automatic replies of {ANNA}"
    assert fakes.mailbox.writes == []
    run = run_fix(
        fast_client, "mailbox_oof_set", "INC-400", mailbox=ANNA, internal_message="Back Monday."
    )
    assert run["status"] == "succeeded", run
    assert run["changed"] is True
    assert run["diff"]["before"]["state"] == "Disabled"
    assert run["diff"]["after"]["state"] == "Enabled"
    assert fakes.mailbox.mailbox(ANNA).oof.state is OofState.ENABLED
    info = fast_client.get("/mailbox/info", params={"customer": "lab", "mailbox": ANNA})
    assert info.status_code == 200, info.text
    assert info.json()["oof"]["internal_message"] == "Back Monday."
    assert info.json()["delegates"][0]["user"] == "ben.carter@lab.test"
    cleared = run_fix(fast_client, "mailbox_oof_clear", "INC-400", mailbox=ANNA)
    assert (cleared["status"], cleared["changed"]) == ("succeeded", True)


def test_forwarding_inside_runs_at_once_and_outside_waits_for_approval(
    fast_client: TestClient, fakes: Fakes
) -> None:
    inside = run_fix(
        fast_client, "mailbox_forwarding_set", "INC-401", mailbox=ANNA,
        forward_to="ben.carter@lab.test",
    )  # fmt: skip
    assert inside["status"] == "succeeded", inside
    held = run_fix(
        fast_client, "mailbox_forwarding_set", "INC-402", mailbox=ANNA, forward_to=OUTSIDE
    )
    assert held["status"] == "awaiting_approval", held
    assert [r["rule"] for r in held["details"]["approval"]["reasons"]] == ["external_forwarding"]
    assert [rule.forward_to for rule in fakes.mailbox.mailbox(ANNA).rules] == [
        ("ben.carter@lab.test",)
    ]
    sara = bearer(fast_client, "sara", Role.SENIOR_AGENT, ["lab"])
    approved = fast_client.post(f"/approvals/{held['id']}/approve", headers=sara)
    assert approved.status_code == 200, approved.text
    ended = wait_for_end(fast_client, held["id"])
    assert ended["status"] == "succeeded", ended
    assert ended["diff"] == {
        "before": {"forward_to": "ben.carter@lab.test"},
        "after": {"forward_to": OUTSIDE},
    }
    assert ended["details"]["approval"]["decided_by"] == "token:sara"
    assert [rule.forward_to for rule in fakes.mailbox.mailbox(ANNA).rules] == [(OUTSIDE,)]


def test_a_vip_mailbox_owner_waits_for_a_second_person(fast_client: TestClient) -> None:
    run = run_fix(
        fast_client, "mailbox_oof_set", "INC-403", mailbox="maria.rossi@lab.test",
        internal_message="Out.",
    )  # fmt: skip
    assert run["status"] == "awaiting_approval", run
    reasons = run["details"]["approval"]["reasons"]
    assert [r["rule"] for r in reasons] == ["vip_user"] and "maria.rossi" in reasons[0]["message"]


def test_a_mailbox_outside_the_customer_is_refused(fast_client: TestClient, fakes: Fakes) -> None:
    run = run_fix(
        fast_client, "mailbox_oof_set", "INC-404", mailbox="anna.schmidt@contoso.test",
        internal_message="Out.",
    )  # fmt: skip
    assert run["status"] == "refused", run
    assert run["details"]["refused_by"] == "outside_customer"
    unknown = run_fix(fast_client, "mailbox_info", "INC-404", mailbox="nobody@lab.test")
    assert unknown["status"] == "refused" and "no account of customer lab" in unknown["error"]
    assert fakes.mailbox.writes == []


def test_exchange_gone_during_a_write_is_outcome_unknown(
    fast_client: TestClient, fakes: Fakes, fast_core: Core
) -> None:
    lab = fast_core.customers.get("lab")
    gone = FakeMailbox.unreachable(lab, ANNA)
    fakes.mailbox.fail_next("set_oof", gone, applied=True, mailbox=ANNA)
    run = run_fix(
        fast_client, "mailbox_oof_set", "INC-405", mailbox=ANNA, internal_message="Back soon."
    )
    assert run["status"] == "failed", run
    assert run["error"].startswith("outcome unknown: Exchange unreachable: no answer from")
    assert run["details"]["outcome_unknown"] is True
    # It was applied: mailbox_info shows what is there before anyone tries again.
    info = run_fix(fast_client, "mailbox_info", "INC-405", mailbox=ANNA)
    assert info["details"]["oof"]["state"] == "Enabled"


def test_a_busy_exchange_is_retried_once(
    fast_client: TestClient, fakes: Fakes, fast_core: Core
) -> None:
    lab = fast_core.customers.get("lab")
    fakes.mailbox.fail_next("get_rules", FakeMailbox.busy(lab, ANNA, 0.05), mailbox=ANNA)
    run = run_fix(
        fast_client, "mailbox_forwarding_set", "INC-406", mailbox=ANNA,
        forward_to="ben.carter@lab.test",
    )  # fmt: skip
    assert run["status"] == "succeeded", run
    events = fast_client.get(f"/runs/{run['id']}/events", params={"stream": False}).json()
    assert "busy" in [e["kind"] for e in events]


def test_the_look_up_shows_unresolved_entries_apart(fast_client: TestClient) -> None:
    """A deleted user's entry on Henry's calendar (the simulator's seed, the fake's too)."""
    henry = "henry.moreau@lab.test"
    info = fast_client.get("/mailbox/info", params={"customer": "lab", "mailbox": henry})
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["unresolved_permissions"] == {"calendar": [DELETED_USER_SID], "inbox": []}
    assert [p["user"] for p in body["permissions"]["calendar"]] == ["Default", "Anonymous"]
