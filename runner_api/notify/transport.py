"""The seam to the mail server: one Protocol, one SMTP implementation (stdlib smtplib)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from runner_api.outbox.relay import DeliveryError
from runner_api.settings import Settings, SmtpSecurity

__all__ = ["DeliveryError", "MailTransport", "SmtpTransport"]


class MailTransport(Protocol):
    """Hands one message to a mail server; raises DeliveryError only."""

    def send(self, message: EmailMessage) -> None:
        """Deliver to every recipient of the message, or raise DeliveryError."""
        ...


class SmtpTransport:
    """MailTransport over SMTP: a connection per message (notices are rare)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.timeout_s = settings.smtp_timeout_s

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.security is SmtpSecurity.STARTTLS:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user is not None and self.password is not None:
                    smtp.login(self.user, self.password.get_secret_value())
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {_reason(exc)}") from exc
        if refused:
            # One recipient per notice: a refusal is that notice failing.
            raise DeliveryError(f"SMTP {self.host}:{self.port} refused {', '.join(refused)}")

    def _connect(self) -> smtplib.SMTP:
        if self.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                timeout=self.timeout_s,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        return f"{exc.smtp_code} {text}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]
