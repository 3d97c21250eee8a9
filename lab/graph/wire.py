"""The simulator's HTTPS plumbing: a threaded server whose TLS handshake runs per connection.

The handshake happens in the connection's own thread (not in accept()), so one slow or
broken client never holds up the others.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Incoming:
    method: str
    target: str
    headers: Message
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without a word (the lost-answer fault).
    drop: bool = False


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # A stalled answer must never block stop().
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext,
        dispatch: Callable[[Incoming], Reply],
    ) -> None:
        super().__init__(address, GraphHandler)
        self.context = context
        self.dispatch = dispatch

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("Graph simulator: TLS handshake failed: %s", exc)
            return
        try:
            super().finish_request(wrapped, client_address)
        finally:
            # The TLS socket owns the descriptor now: shutdown_request() closes only the husk.
            wrapped.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is routine for a fault injector; keep it quiet.
        log.debug("Graph simulator: connection from %s ended badly", client_address, exc_info=True)


class GraphHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("Graph simulator: " + format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 <= length <= MAX_BODY:
            self._send(Reply(413))
            return
        body = self.rfile.read(length) if length else b""
        reply = self.server.dispatch(Incoming(self.command, self.path, self.headers, body))
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        # One write for head and body: two small writes meet Nagle and delayed ACK (40 ms).
        head = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            f"Date: {self.date_time_string()}",
            f"Content-Length: {len(reply.body)}",
            *(f"{name}: {value}" for name, value in reply.headers.items()),
        ]
        self.log_request(reply.status, len(reply.body))
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + reply.body)
