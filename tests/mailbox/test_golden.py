"""Golden files: the exact EWS requests each action sends, so an exchangelib upgrade shows.

Bodies are normalized only where values change per run (folder ids and change keys, rule
ids, OOF times). After a deliberate change, rewrite them with
`FIXLINE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p tests.plugins.mailbox_lab
tests/mailbox/test_golden.py` and review the diff.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lab.ews import Request
from runner_api.mailbox import MailboxExecutor
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import ANNA, BEN, EMMA, Run
from tests.plugins.mailbox_lab import MailboxLabHandle

GOLDEN = Path(__file__).parent / "golden"
NAMESPACES = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
}
T = f"{{{NAMESPACES['t']}}}"
LATER = datetime.now(UTC) + timedelta(days=2)
SOON = datetime.now(UTC) + timedelta(hours=1)
# name -> (set-up runs, the action run whose requests are kept)
Step = tuple[str, dict[str, Any]]
SCENARIOS: dict[str, tuple[list[Step], Step]] = {
    "mailbox_info": ([], ("mailbox_info", {"mailbox": ANNA})),
    "mailbox_oof_set": ([], ("mailbox_oof_set", {
        "mailbox": ANNA, "internal_message": "Away", "external_message": "Away (external)",
        "audience": "Known", "start": SOON, "end": LATER})),
    "mailbox_oof_clear": (
        [("mailbox_oof_set", {"mailbox": ANNA, "internal_message": "Away"})],
        ("mailbox_oof_clear", {"mailbox": ANNA})),
    "mailbox_forwarding_set": (
        [], ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": BEN})),
    "mailbox_forwarding_set_replace": (
        [("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": BEN})],
        ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": EMMA})),
    "mailbox_forwarding_clear": (
        [("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": BEN})],
        ("mailbox_forwarding_clear", {"mailbox": ANNA})),
    "mailbox_folder_permission_grant_calendar": ([], ("mailbox_folder_permission_grant", {
        "mailbox": ANNA, "folder": "calendar", "user": BEN, "level": "Editor",
        "expires_at": LATER})),
    "mailbox_folder_permission_grant_inbox": ([], ("mailbox_folder_permission_grant", {
        "mailbox": ANNA, "folder": "inbox", "user": BEN, "level": "Reviewer"})),
    "mailbox_folder_permission_revoke": ([], ("mailbox_folder_permission_revoke", {
        "mailbox": ANNA, "folder": "calendar", "user": EMMA})),
}  # fmt: skip


def normalized(requests: list[Request], name: str) -> str:
    """The requests as one indented XML document, run-specific values replaced."""
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element("requests", {"scenario": name})
    for request in requests:
        envelope = ET.fromstring(request.body)  # noqa: S314 (our own client's request)
        for elem in envelope.iter():
            if elem.tag == f"{T}FolderId":
                elem.set("Id", "FOLDER-ID")
                elem.set("ChangeKey", "CHANGE-KEY")
            elif elem.tag == f"{T}RuleId":
                elem.text = "RULE-ID"
            elif elem.tag in (f"{T}StartTime", f"{T}EndTime"):
                elem.text = "TIMESTAMP"
        wrapper = ET.SubElement(
            root,
            "request",
            {"operation": request.operation, "impersonated": str(request.impersonated)},
        )
        wrapper.append(envelope)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_requests_match_golden(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run], name: str
) -> None:
    setup, (action, params) = SCENARIOS[name]
    for before_action, before_params in setup:
        assert executor.execute(make_run(before_action, **before_params).ctx).status is (
            RunStatus.SUCCEEDED
        )
    sim.simulator.clear_requests()
    outcome = executor.execute(make_run(action, **params).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    text = normalized(sim.requests, name)
    path = GOLDEN / f"{name}.xml"
    if os.environ.get("FIXLINE_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.is_file(), f"no golden file {path.name}: run with FIXLINE_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"the requests of {name} changed; see {path}"


def test_every_action_has_a_golden_file() -> None:
    from runner_api.mailbox import mailbox_actions

    covered = {action for _, (action, _) in SCENARIOS.values()}
    assert covered == {spec.name for spec in mailbox_actions()}
