"""The approvals badge (issue 21 item 10): the count of runs waiting for approval on the
Approvals link, kept up to date without a reload, shown only to those who may approve."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.plugins.server import Server
from tests.web.conftest import Agent


def _waiting(agent: Agent) -> int:
    answer = agent.page.request.get("/approvals")
    assert answer.ok, answer.text()
    return len(answer.json())


def test_the_badge_counts_waiting_approvals_live_for_approvers_only(
    agents: dict[str, Agent], web_server: Server
) -> None:
    alice, bob = agents["alice.agent"], agents["bob.senior"]
    bob.login()
    bob.page.goto("/ui/runs")
    badge = bob.page.locator("#approvals-badge")
    before = _waiting(bob)
    if before:
        expect(badge).to_have_text(f"{before} waiting")
    else:
        expect(badge).to_be_hidden()

    # A reset of a VIP's account waits for a second person; bob's page, not reloaded, counts it.
    verified = {"method": "callback", "note": "number on record"}
    params = {"username": "maria.rossi", "caller_verification": verified}
    run = {"customer": "lab", "ticket_id": "INC-WEB-BADGE-1", "action": "password_reset"}
    held = web_server.client.post("/runs", json=run | {"params": params})
    assert held.status_code in (201, 202), held.text
    assert web_server.wait_for(held.json()["id"], {"awaiting_approval"})
    expect(badge).to_have_text(f"{before + 1} waiting", timeout=30_000)
    expect(bob.page.get_by_role("link", name="Approvals")).to_contain_text(f"{before + 1}")
    bob.shot("32-approvals-badge")

    # Deciding on the approvals page updates the badge there and then.
    bob.page.get_by_role("link", name="Approvals").click()
    card = bob.page.locator("article.approval", has_text="INC-WEB-BADGE-1")
    # A comment over its limit is counted, refused next to it and not cut (issue 21 item 9).
    comment = card.get_by_label("Comment")
    long_comment = "the caller could not be verified; " * 40  # over the limit of 1000
    comment.fill(long_comment)
    used = len(long_comment.strip())
    expect(card.locator(".count")).to_have_text(
        f"{used} of 1000 characters: {used - 1000} too many"
    )
    card.get_by_role("button", name="Reject").click()
    expect(card.locator(".field-error")).to_have_text("At most 1000 characters.")
    expect(comment).to_be_focused()
    assert comment.input_value() == long_comment
    assert _waiting(bob) == before + 1
    comment.fill("not this one")
    card.get_by_role("button", name="Reject").click()
    if before:
        expect(badge).to_have_text(f"{before} waiting")
    else:
        expect(badge).to_be_hidden()

    # An agent who may not approve has no Approvals link and no badge.
    alice.login()
    expect(alice.page.get_by_role("link", name="Approvals")).to_have_count(0)
    expect(alice.page.locator("#approvals-badge")).to_have_count(0)
