"""EwsSimulator: a stateful, wire-level Exchange Web Services simulator over HTTP.

A stdlib ThreadingHTTPServer on loopback answering SOAP at /EWS/Exchange.asmx with Basic
auth. Real exchangelib talks to it. Every request is recorded (operation, impersonated
mailbox, target, body); failures are injected through `state.fail(Fault(...))`.
As Exchange does, it reads a request only if it is well-formed XML without a DTD and valid
against the schema (validation.py against schema.py: the parts of messages.xsd and
types.xsd Fixline's operations use), and answers anything else with an ErrorSchemaValidation
fault, HTTP 500, before the operation runs (recorded in `state.refused`).
It is a simulator, not Exchange: only the operations Fixline uses exist; any other gets an
ErrorInvalidOperation fault, so a new call shows up loudly.
"""

from __future__ import annotations

import base64
import binascii
import logging
import socket
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lab.background import serve_in_background, stop_serving
from lab.ews import soap, validation
from lab.ews.operations import HANDLERS, named_mailbox
from lab.ews.soap import OperationError, S, T
from lab.ews.state import Fault, Request, SimulatorState

log = logging.getLogger(__name__)
PATH = "/EWS/Exchange.asmx"
MAX_BODY = 1 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A handler held by a "hang" fault must never block stop().
    block_on_close = False
    simulator: EwsSimulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("EWS simulator: " + format, *args)

    def do_POST(self) -> None:
        sim = self.server.simulator
        length = int(self.headers.get("Content-Length") or 0)
        if self.path.split("?")[0].lower() != PATH.lower() or not 0 < length <= MAX_BODY:
            self._send(404, b"not the EWS endpoint of this simulator", "text/plain")
            return
        status, body = sim.answer(self.rfile.read(length), self.headers.get("Authorization"))
        if status == -1:  # hang: keep the socket open without a word until released
            sim.released.wait(sim.hang_s)
            self.close_connection = True
            return
        if status == -2:  # drop: close the socket without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, body)

    def _send(self, status: int, body: bytes, kind: str = "text/xml; charset=utf-8") -> None:
        # One write for head and body: two small writes meet Nagle and delayed ACK (40 ms).
        # Never "Connection: close": exchangelib reads that as ErrorServerBusy.
        head = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            "Server: Fixline EWS simulator",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {kind}",
            f"Content-Length: {len(body)}",
        ]
        if status == 401:
            head.append('WWW-Authenticate: Basic realm="EWS simulator"')
        self.log_request(status, len(body))
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)


class EwsSimulator:
    """The simulator: start(), stop(), url, state (mailboxes, faults, requests)."""

    def __init__(
        self, state: SimulatorState | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state or SimulatorState()
        self.host = host
        self.port = port
        # How long a "hang" fault holds a request when nobody releases it.
        self.hang_s = 60.0
        self.released = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PATH}"

    @property
    def requests(self) -> list[Request]:
        with self.state.lock:
            return list(self.state.requests)

    def start(self) -> EwsSimulator:
        """Listen (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self.released.clear()
        server = _Server((self.host, self.port), _Handler)
        server.simulator = self
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = serve_in_background(server, "ews-simulator")
        log.info("EWS simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Release hung requests and stop serving."""
        self.released.set()
        stop_serving(self._server, self._thread)
        self._server, self._thread = None, None

    def running(self) -> bool:
        return self._server is not None

    def describe(self) -> str:
        """One human line for the demo output."""
        boxes = len(self.state.mailboxes)
        return f"Exchange (EWS simulator, not Exchange): {self.url}, {boxes} mailboxes, Basic auth"

    def clear_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def answer(self, raw: bytes, authorization: str | None) -> tuple[int, bytes]:
        """(HTTP status, body) for one request; -1 = hang, -2 = drop. Never raises."""
        try:
            return self._answer(raw, authorization)
        except Exception as exc:  # a simulator bug: a fault, never a hang or a dropped socket
            log.exception("EWS simulator failed on a request")
            return 500, soap.fault("ErrorInternalServerError", f"simulator bug: {exc!r}")

    def _answer(self, raw: bytes, authorization: str | None) -> tuple[int, bytes]:
        state = self.state
        user = _basic_user(authorization, state.accounts)
        document, violation = _read(raw)
        operation, request, impersonated = _parts(document)
        target = impersonated or named_mailbox(operation, request) or user
        record = Request(operation, impersonated, target, user, raw)
        if user is None:  # IIS refuses an unknown login before EWS reads the body
            with state.lock:
                state.requests.append(replace(record, status=401))
            return 401, b""
        if violation is not None:
            refused = replace(record, status=500, violation=violation.message)
            with state.lock:
                state.requests.append(refused)
                state.refused.append(refused)
            return 500, soap.schema_fault(violation.message, violation.line, violation.position)
        with state.lock:
            state.requests.append(record)
            return self._operate(record, request, document)

    def _operate(
        self, record: Request, request: ET.Element, document: validation.Document | None
    ) -> tuple[int, bytes]:
        """The answer to a schema-valid request from a known login (under the state lock)."""
        state, operation, user = self.state, record.operation, str(record.user)
        fault = state.take_fault(operation, record.target)
        if fault is not None:
            return _injected(fault, operation)
        refused = self._refused(user, record.impersonated)
        if refused is not None:
            return 500, refused
        box = state.mailbox(record.target)
        handler = HANDLERS.get(operation)
        if handler is None:
            return 500, soap.fault("ErrorInvalidOperation", f"{operation} is not simulated")
        if box is None:
            return 500, soap.fault("ErrorNonExistentMailbox", f"No mailbox for {record.target}.")
        if (user, box.address) in state.denied:
            return 200, soap.response_error(operation, "ErrorAccessDenied", "Access is denied.")
        try:
            return 200, handler(state, box, request)
        except OperationError as exc:
            if exc.code == "ErrorSchemaValidation" and document is not None:
                line, position = document.positions.get(id(exc.element), (0, 0))
                return 500, soap.schema_fault(exc.message, line, position)
            if exc.as_fault:
                return 500, soap.fault(exc.code, exc.message)
            return 200, soap.response_error(operation, exc.code, exc.message)

    def _refused(self, user: str, impersonated: str | None) -> bytes | None:
        if impersonated is None:
            return None
        state = self.state
        if user not in state.impersonators:
            return soap.fault(
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            )
        if state.mailbox(impersonated) is None:
            return soap.fault(
                "ErrorNonExistentMailbox",
                f"The SMTP address has no mailbox associated with it: {impersonated}",
            )
        if not state.may_impersonate(user, impersonated):
            return soap.fault(
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            )
        return None


def _injected(fault: Fault, operation: str) -> tuple[int, bytes]:
    if fault.kind == "hang":
        return -1, b""
    if fault.kind == "drop":
        return -2, b""
    if fault.kind == "http":
        return fault.status, b""
    message = f"{fault.code} (injected by the EWS simulator)"
    if fault.kind == "response":
        return 200, soap.response_error(operation, fault.code, message)
    return 500, soap.fault(fault.code, message, fault.back_off_ms)


def _read(
    raw: bytes,
) -> tuple[validation.Document | None, validation.SchemaViolationError | None]:
    """The request as a document, and what makes it schema-invalid (None when nothing)."""
    try:
        document = validation.parse(raw)
    except validation.SchemaViolationError as exc:
        return None, exc
    try:
        validation.check(document)
    except validation.SchemaViolationError as exc:
        return document, exc
    return document, None


def _parts(document: validation.Document | None) -> tuple[str, ET.Element, str | None]:
    """(operation, request element, impersonated mailbox) of a request, as far as it has them."""
    root = document.root if document is not None else ET.Element("none")
    body = root.find(f"{{{S}}}Body")
    request = body[0] if body is not None and len(body) else ET.Element("none")
    return request.tag.rsplit("}", 1)[-1].removesuffix("Request"), request, _impersonated(root)


def _impersonated(root: ET.Element) -> str | None:
    sid = root.find(f"{{{S}}}Header/{{{T}}}ExchangeImpersonation/{{{T}}}ConnectingSID")
    if sid is None:
        return None
    for name in ("PrimarySmtpAddress", "SmtpAddress", "PrincipalName"):
        found = sid.find(f"{{{T}}}{name}")
        if found is not None and found.text:
            return found.text.strip().lower()
    return None


def _basic_user(header: str | None, accounts: dict[str, str]) -> str | None:
    """The account a Basic Authorization header proves; None when it proves nothing."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    expected = accounts.get(user.lower())
    return user.lower() if expected is not None and expected == password else None
