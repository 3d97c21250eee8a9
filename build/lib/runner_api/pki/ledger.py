"""Certificates Fixline issued and revoked, read from the runs that did it.

A run records the facts of its certificate in `details` (serial, fingerprint, not-after,
never a key); the runs table, append-only in practice and audited, is the ledger, so no
second source of truth can drift from the runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy import select

from runner_api.database import Database
from runner_api.pki.authority import fingerprint
from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus

ISSUED = "certificate"
REVOKED = "revoked"


@dataclass(frozen=True)
class IssuedCert:
    customer: str
    action: str
    target: str
    subject: str
    serial: int
    fingerprint_sha256: str
    not_after: datetime


def facts(cert: x509.Certificate) -> dict[str, Any]:
    """What a run keeps of a certificate it issued or installed."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "fingerprint_sha256": fingerprint(cert),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }


class CertificateLedger:
    """Read-only queries over succeeded runs' details."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _details(self, customer: str, actions: Iterable[str]) -> list[Run]:
        query = (
            select(Run)
            .where(
                Run.customer == customer,
                Run.action.in_(list(actions)),
                Run.status == RunStatus.SUCCEEDED.value,
                Run.check_mode.is_(False),
            )
            .order_by(Run.created_at)
        )
        with self._db.session() as session:
            rows = list(session.scalars(query))
            session.expunge_all()
        return rows

    def issued(self, customer: str, actions: Iterable[str]) -> list[IssuedCert]:
        found = []
        for run in self._details(customer, actions):
            cert = (run.details or {}).get(ISSUED)
            if isinstance(cert, dict) and "serial" in cert:
                found.append(
                    IssuedCert(
                        customer=customer,
                        action=run.action,
                        target=run.target,
                        subject=str(cert.get("subject", "")),
                        serial=int(cert["serial"], 16),
                        fingerprint_sha256=str(cert.get("fingerprint_sha256", "")),
                        not_after=datetime.fromisoformat(cert["not_after"]),
                    )
                )
        return found

    def revoked(self, customer: str, actions: Iterable[str]) -> list[tuple[int, datetime]]:
        found = []
        for run in self._details(customer, actions):
            for entry in (run.details or {}).get(REVOKED) or []:
                found.append((int(entry["serial"], 16), datetime.fromisoformat(entry["at"])))
        return found
