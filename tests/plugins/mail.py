"""The `sink` fixture: a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    """One message as the server got it: the raw bytes and the parsed message."""

    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    @property
    def words(self) -> str:
        """The text with its line breaks folded (the body is wrapped at 72 columns)."""
        return " ".join(self.text.split())


@dataclass
class MailSink:
    """aiosmtpd on 127.0.0.1:port; start() and stop() as often as a test needs."""

    port: int
    mails: list[Mail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else (content or "").encode()
        with self._lock:
            self.mails.append(Mail(tuple(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [mail for mail in self.mails if address in mail.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 30) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.mails) >= count:
                    return list(self.mails)
            time.sleep(0.05)
        raise AssertionError(f"{count} mail(s) expected, got {len(self.mails)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def sink() -> Iterator[MailSink]:
    """A running SMTP server; stopped after the test."""
    mail_sink = MailSink(free_port())
    mail_sink.start()
    yield mail_sink
    mail_sink.stop()
