"""The EWS simulator refuses what Exchange refuses: ErrorSchemaValidation, HTTP 500.

Every invalid request here is a real request exchangelib sent (captured from the simulator
while running Fixline's actions) with one thing broken, so each case differs from a request
Exchange accepts in exactly the way it names. The fault is checked element by element
against the shape Microsoft documents for ErrorSchemaValidation.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lab.ews import validation
from lab.ews.operations import HANDLERS
from lab.ews.schema import OPERATIONS
from lab.ews.soap import E, M, S, T
from runner_api.customers.models import Customer
from runner_api.mailbox import EwsMailbox, MailboxExecutor
from runner_api.mailbox.errors import MailboxOperationError
from runner_api.mailbox.gateway import Folder
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import ANNA, BEN, EMMA, SERVICE, Run
from tests.plugins.mailbox_lab import PASSWORD, MailboxLabHandle

AUTH = "Basic " + base64.b64encode(f"{SERVICE}:{PASSWORD}".encode()).decode()
GOLDEN = Path(__file__).parent / "golden"
XS = "http://www.w3.org/2001/XMLSchema"


@pytest.fixture
def wire(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> dict[str, bytes]:
    """One request of each operation Fixline uses, as exchangelib sent it (all accepted)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    for action, params in (
        ("mailbox_oof_set", {"internal_message": "Out", "start": start,
                             "end": start + timedelta(days=1)}),
        ("mailbox_forwarding_set", {"forward_to": BEN}),
        ("mailbox_folder_permission_grant", {"folder": "calendar", "user": BEN,
                                             "level": "Editor"}),
        ("mailbox_info", {}),
    ):  # fmt: skip
        outcome = executor.execute(make_run(action, mailbox=ANNA, **params).ctx)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    bodies = {request.operation: request.body for request in sim.requests}
    assert set(bodies) == set(HANDLERS)
    assert sim.state.refused == []
    sim.schema_faults_expected = True
    return bodies


def _changed(body: bytes, old: str, new: str) -> bytes:
    """`old` (a regular expression when it starts with "re:") replaced once by `new`."""
    pattern = old[3:] if old.startswith("re:") else re.escape(old)
    changed, count = re.subn(pattern.encode(), new.encode(), body, count=1)
    assert count == 1, old
    return changed


TYPES = f"in namespace '{T}'"
# (operation, text replaced, replacement, the violation Exchange would name)
CASES = {
    "malformed XML": ("GetDelegate", "</m:GetDelegate>", "", "Mismatched tag. Line 2, position"),
    "a DTD": (
        "GetDelegate", "<s:Envelope", '<!DOCTYPE s:Envelope [<!ENTITY x "y">]><s:Envelope',
        "For security reasons DTD is prohibited in this XML document.",
    ),
    "an unknown element": (
        "SetUserOofSettings", "<t:ExternalAudience>",
        "<t:Colour>red</t:Colour><t:ExternalAudience>",
        f"The element 'UserOofSettings' {TYPES} has invalid child element 'Colour' {TYPES}. "
        f"List of possible elements expected: 'ExternalAudience' {TYPES}.",
    ),
    "elements out of order": (
        "GetFolder", "<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>",
        "<t:AdditionalProperties><t:BaseShape>IdOnly</t:BaseShape>",
        f"The element 'FolderShape' in namespace '{M}' has invalid child element "
        f"'AdditionalProperties' {TYPES}. List of possible elements expected: 'BaseShape' {TYPES}.",
    ),
    "a missing element": (
        "UpdateFolder", "<t:CalendarPermissionLevel>Editor</t:CalendarPermissionLevel>", "",
        f"The element 'CalendarPermission' {TYPES} has incomplete content. List of possible "
        "elements expected: 'CanCreateItems, CanCreateSubFolders, IsFolderOwner, "
        "IsFolderVisible, IsFolderContact, EditItems, DeleteItems, ReadItems, "
        f"CalendarPermissionLevel' {TYPES}.",
    ),
    "another element where a required one must come": (
        "GetUserOofSettings", "<t:Mailbox>", "<t:Ignored/><t:Mailbox>",
        f"The element 'GetUserOofSettingsRequest' in namespace '{M}' has invalid child element "
        f"'Ignored' {TYPES}. List of possible elements expected: 'Mailbox' {TYPES}.",
    ),
    "a wrong enumeration value": (
        "SetUserOofSettings", "<t:OofState>Scheduled</t:OofState>", "<t:OofState>Away</t:OofState>",
        f"The '{T}:OofState' element is invalid - The value 'Away' is invalid according to its "
        f"datatype '{T}:OofState' - The Enumeration constraint failed.",
    ),
    "a wrong enumeration value of an attribute": (
        # Word for word the example of Microsoft's documentation.
        "GetFolder", 'DistinguishedFolderId Id="inbox"', 'DistinguishedFolderId Id="inbox1"',
        "The 'Id' attribute is invalid - The value 'inbox1' is invalid according to its "
        f"datatype '{T}:DistinguishedFolderIdNameType' - The Enumeration constraint failed.",
    ),
    "a wrong level": (
        "UpdateFolder", "<t:CalendarPermissionLevel>Editor<", "<t:CalendarPermissionLevel>Boss<",
        f"The '{T}:CalendarPermissionLevel' element is invalid - The value 'Boss' is invalid "
        f"according to its datatype '{T}:CalendarPermissionLevelType' - The Enumeration "
        "constraint failed.",
    ),
    "a wrong server version in the header": (
        "GetInboxRules", 'Version="Exchange2016"', 'Version="Exchange2099"',
        "The 'Version' attribute is invalid - The value 'Exchange2099' is invalid according to "
        f"its datatype '{T}:ExchangeVersionType' - The Enumeration constraint failed.",
    ),
    "a wrong boolean": (
        "UpdateInboxRules", "<t:IsEnabled>1</t:IsEnabled>", "<t:IsEnabled>yes</t:IsEnabled>",
        f"The '{T}:IsEnabled' element is invalid - The value 'yes' is invalid according to its "
        f"datatype '{XS}:boolean' - The string 'yes' is not a valid Boolean value.",
    ),
    "a wrong number": (
        "UpdateInboxRules", "<t:Priority>1</t:Priority>", "<t:Priority>first</t:Priority>",
        f"The '{T}:Priority' element is invalid - The value 'first' is invalid according to its "
        f"datatype '{XS}:int' - The string 'first' is not a valid Int32 value.",
    ),
    "a wrong time": (
        "SetUserOofSettings", "re:<t:StartTime>[^<]*<", "<t:StartTime>tomorrow<",
        f"The '{T}:StartTime' element is invalid - The value 'tomorrow' is invalid according to "
        f"its datatype '{XS}:dateTime' - The string 'tomorrow' is not a valid XsdDateTime value.",
    ),
    "an undeclared attribute": (
        "GetDelegate", 'IncludePermissions="true"', 'IncludePermissions="true" Everyone="1"',
        "The 'Everyone' attribute is not declared.",
    ),
    "a missing required attribute": (
        "GetDelegate", ' IncludePermissions="true"', "",
        "The required attribute 'IncludePermissions' is missing.",
    ),
    "text where only elements go": (
        "GetFolder", "<m:FolderIds>", "<m:FolderIds>inbox",
        f"The element 'FolderIds' in namespace '{M}' cannot contain text. List of possible "
        f"elements expected: 'FolderId, DistinguishedFolderId' {TYPES}.",
    ),
    "an empty address": (
        "GetDelegate", f"<t:EmailAddress>{ANNA}</t:EmailAddress>", "<t:EmailAddress/>",
        f"The '{T}:EmailAddress' element is invalid - The value '' is invalid according to its "
        f"datatype '{T}:NonEmptyStringType' - The actual length is less than the MinLength value.",
    ),
    "no SOAP Body": (
        "GetInboxRules", "re:<s:Body>(.*)</s:Body>", r"<s:Bodies>\1</s:Bodies>",
        f"The element 'Envelope' in namespace '{S}' has invalid child element 'Bodies' in "
        f"namespace '{S}'. List of possible elements expected: 'Body' in namespace '{S}'.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_requests_get_exchanges_schema_fault(
    sim: MailboxLabHandle, wire: dict[str, bytes], case: str
) -> None:
    operation, old, new, violation = CASES[case]
    body = _changed(wire[operation], old, new)
    before = repr(sim.state.mailboxes[ANNA])
    status, answer = sim.simulator.answer(body, AUTH)
    assert status == 500
    fault = _fault(answer)
    assert fault["faultcode"] == "a:ErrorSchemaValidation"
    assert fault["faultcode_namespace"] == T
    assert fault["faultstring"].startswith("The request failed schema validation: ")
    assert fault["ResponseCode"] == "ErrorSchemaValidation"
    assert fault["Message"] == "The request failed schema validation."
    assert fault["Violation"].startswith(violation), fault["Violation"]
    assert fault["faultstring"] == f"The request failed schema validation: {fault['Violation']}"
    assert int(fault["LineNumber"]) >= 1 and int(fault["LinePosition"]) >= 1
    # Refused before any operation ran: nothing changed, and the refusal is on record.
    assert repr(sim.state.mailboxes[ANNA]) == before
    assert [r.violation for r in sim.state.refused] == [fault["Violation"]]
    assert sim.requests[-1].status == 500


def _fault(answer: bytes) -> dict[str, str]:
    root = ET.fromstring(answer)  # noqa: S314 (the simulator's own answer)
    fault = root.find(f"{{{S}}}Body/{{{S}}}Fault")
    assert fault is not None
    code = fault.find("faultcode")
    assert code is not None and code.text is not None
    found = {"faultcode": code.text, "faultstring": fault.findtext("faultstring") or ""}
    found["faultcode_namespace"] = T  # ElementTree drops unused declarations: check the text
    assert f'xmlns:a="{T}"'.encode() in answer
    detail = fault.find("detail")
    assert detail is not None
    for name in ("ResponseCode", "Message"):
        found[name] = detail.findtext(f"{{{E}}}{name}") or ""
    for name in ("LineNumber", "LinePosition", "Violation"):
        found[name] = detail.findtext(f"{{{T}}}MessageXml/{{{T}}}{name}") or ""
    return found


def test_the_position_is_where_the_element_is(
    sim: MailboxLabHandle, wire: dict[str, bytes]
) -> None:
    body = _changed(wire["GetFolder"], 'Id="inbox"', 'Id="inbox1"').replace(b"><", b">\n<")
    status, answer = sim.simulator.answer(body, AUTH)
    fault = _fault(answer)
    lines = body.decode().split("\n")
    (line,) = [n for n, text in enumerate(lines, 1) if 'Id="inbox1"' in text]
    assert (status, fault["LineNumber"], fault["LinePosition"]) == (500, str(line), "2")


def test_lax_header_elements_of_other_namespaces_are_left_alone(
    sim: MailboxLabHandle, wire: dict[str, bytes]
) -> None:
    body = _changed(wire["GetInboxRules"], "<s:Header>",
                    '<s:Header><x:Trace xmlns:x="urn:example">1</x:Trace>')  # fmt: skip
    assert sim.simulator.answer(body, AUTH)[0] == 200
    assert sim.state.refused == []


def test_every_simulated_operation_is_described() -> None:
    """A new operation in the simulator cannot skip the schema check."""
    described = {name.split(":")[1].removesuffix("Request") for name in OPERATIONS}
    assert described == set(HANDLERS)


def test_the_golden_requests_are_schema_valid() -> None:
    """Every request the golden files pin (exchangelib's wire) passes the checks."""
    for path in sorted(GOLDEN.glob("*.xml")):
        root = ET.parse(path).getroot()  # noqa: S314 (our own files)
        for request in root:
            envelope = ET.tostring(request[0], encoding="utf-8")
            # The golden files blank out the times of each run.
            envelope = envelope.replace(b"TIMESTAMP", b"2030-01-31T18:00:00Z")
            validation.check(validation.parse(envelope))


def test_a_refused_level_reaches_fixline_as_exchanges_error(
    sim: MailboxLabHandle, gateway: EwsMailbox
) -> None:
    """The fault as exchangelib reads it, translated by Fixline at its boundary."""
    sim.schema_faults_expected = True
    customer: Customer = sim.customer()
    with pytest.raises(MailboxOperationError) as caught:
        gateway.set_permission(customer, ANNA, Folder.INBOX, EMMA, "Boss")
    message = caught.value.message
    assert message.startswith("Exchange refused the request: ErrorSchemaValidation: ")
    assert "The value 'Boss' is invalid according to its datatype" in message
    assert "(line: 2 position: " in message  # exchangelib's XML declaration is line 1
    assert [r.operation for r in sim.state.refused] == ["UpdateFolder"]
    assert EMMA not in {p.user for p in sim.state.mailboxes[ANNA].folders["inbox"].permissions}
