"""The printable evidence page in a browser: the caller verification a reset recorded, and
its own stylesheet applied (the page fits a 1,280 px window)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.plugins.server import Server
from tests.web.conftest import WIDE, Agent

NOTE = "called back on the number in the HR record"


def test_evidence_shows_the_verification_and_loads_its_style(
    agents: dict[str, Agent], web_server: Server
) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-EVID-1",
        "action": "password_reset",
        "params": {
            "username": "ben.carter",
            "caller_verification": {"method": "callback", "note": NOTE},
        },
    }
    run = web_server.client.post("/runs", params={"wait": 60}, json=body).json()
    assert web_server.wait_for(run["id"], {"succeeded"})["status"] == "succeeded"

    dave = agents["dave.auditor"]
    dave.login()
    blocked: list[str] = []
    dave.page.on("console", lambda message: blocked.append(message.text))
    dave.page.goto("/audit/tickets/INC-EVID-1/evidence?format=html")
    verification = dave.page.locator("td.verification")
    expect(verification).to_contain_text("callback")
    expect(verification).to_contain_text(NOTE)
    # Unstyled, the table keeps separate borders and the page runs past the window.
    collapse = dave.page.evaluate(
        "getComputedStyle(document.querySelector('table')).borderCollapse"
    )
    assert collapse == "collapse", blocked
    assert not [m for m in blocked if "Content Security Policy" in m]
    width = dave.page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDE["width"], f"the evidence page is {width} px wide"
    dave.shot("19-evidence")
