"""Opt-in smoke test against a real Exchange: runs only when its settings are given.

FIXLINE_LIVE_EWS_URL, FIXLINE_LIVE_EWS_USER, FIXLINE_LIVE_EWS_PASSWORD,
FIXLINE_LIVE_EWS_MAILBOX (a test mailbox the user may impersonate), FIXLINE_LIVE_EWS_COLLEAGUE
(another mailbox of the same domain); optional FIXLINE_LIVE_EWS_AUTH (ntlm) and
FIXLINE_LIVE_EWS_VERSION (15.1.2507.6). It changes OOF and the Calendar ACL of that mailbox
and puts them back. Until it has run once, the folder-permission path is a documented risk.
Give that calendar an entry of a since deleted user, and it also checks what Exchange does
with unknown entries sent back (the simulator's default must agree; such an entry Exchange
drops is gone afterwards).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from lab.ews import SimulatorState
from runner_api.customers.models import Customer, MailboxConfig
from runner_api.mailbox import EwsMailbox
from runner_api.mailbox.gateway import Folder, Oof, OofState
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential

NAMES = ("URL", "USER", "PASSWORD", "MAILBOX", "COLLEAGUE")
SETTINGS = {name: os.environ.get(f"FIXLINE_LIVE_EWS_{name}", "") for name in NAMES}
MISSING = [f"FIXLINE_LIVE_EWS_{name}" for name, value in SETTINGS.items() if not value]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"live Exchange test: set {', '.join(MISSING)} to run it"
)


def test_live_exchange_round_trip(tmp_path: Path) -> None:
    mailbox, colleague = SETTINGS["MAILBOX"].lower(), SETTINGS["COLLEAGUE"].lower()
    credentials = FileCredentialSource(tmp_path)
    credentials.store_mailbox_credential(
        "live", MailboxCredential(SETTINGS["USER"], SecretStr(SETTINGS["PASSWORD"]))
    )
    customer = Customer(
        "live", "live", tmp_path,
        mailbox=MailboxConfig(
            ews_url=SETTINGS["URL"],
            accepted_domains=(mailbox.rsplit("@", 1)[1],),
            version=os.environ.get("FIXLINE_LIVE_EWS_VERSION", "15.1.2507.6"),
            auth_type=os.environ.get("FIXLINE_LIVE_EWS_AUTH", "ntlm"),
            timeout_s=20,
        ),
    )  # fmt: skip
    gateway = EwsMailbox(credentials)
    try:
        before = gateway.get_oof(customer, mailbox)
        gateway.set_oof(customer, mailbox, Oof(OofState.ENABLED, internal_message="Fixline test",
                                               external_message="Fixline test"))  # fmt: skip
        assert gateway.get_oof(customer, mailbox).state is OofState.ENABLED
        gateway.set_oof(customer, mailbox, before)
        acl = gateway.get_permissions(customer, mailbox, Folder.CALENDAR)
        was = next((p.level for p in acl.entries if p.user == colleague), "None")
        gateway.set_permission(customer, mailbox, Folder.CALENDAR, colleague, "Reviewer")
        after = gateway.get_permissions(customer, mailbox, Folder.CALENDAR)
        assert any(p.user == colleague and p.level == "Reviewer" for p in after.entries)
        if acl.unresolved:
            # Fixline sends a deleted user's entries back; Microsoft documents that an ACL reset
            # deletes them. What this Exchange did must be what the simulator does by default.
            kept = after.unresolved == acl.unresolved
            assert kept == SimulatorState().keep_echoed_unknown_entries, after.unresolved
        gateway.set_permission(customer, mailbox, Folder.CALENDAR, colleague, was)
    finally:
        gateway.close()
