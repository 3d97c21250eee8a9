"""The encrypted credential store: the only place executors get credentials from.

Each field of a credential is one row, AES-256-GCM sealed with associated data
`credential:<customer>:<kind>:<field>`, so a ciphertext copied to another row or field
does not open. Kinds and fields never contain ':', so the customer part is unambiguous.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.credentials import (
    DirectoryCredential,
    GraphCredential,
    MailboxCredential,
    SshCredential,
)
from runner_api.secrets.keys import SecretKey
from runner_api.secrets.kinds import CredentialKind
from runner_api.secrets.models import StoredField
from runner_api.secrets.schemas import PLACEHOLDER, CredentialRead, validate_fields
from runner_api.secrets.sealed import SealedColumn
from runner_api.types import utcnow

log = logging.getLogger(__name__)


def field_context(customer: str, kind: str, field: str) -> str:
    """The associated data binding a sealed value to its row and field."""
    return f"credential:{customer}:{kind}:{field}"


SEALED_CREDENTIALS = SealedColumn(
    StoredField.ciphertext,
    lambda row: field_context(row.customer, row.kind, row.field),
    key_id="key_id",
)


class EncryptedCredentialSource:
    """CredentialSource over the `credentials` table; every write is audited."""

    def __init__(self, db: Database, key: SecretKey, audit: AuditSink | None = None) -> None:
        self._db = db
        self._box: SecretBox = key.box()
        self._key_id = key.id
        self._audit: AuditSink = audit or NoAudit()

    def put(
        self,
        customer: str,
        kind: CredentialKind,
        fields: Mapping[str, str],
        actor: str,
        *,
        channel: str,
    ) -> CredentialRead:
        """Validate and seal every field of one credential, replacing what was stored."""
        values = validate_fields(kind, dict(fields)).values()
        now = utcnow()
        with self._db.session() as session:
            session.execute(
                delete(StoredField).where(
                    StoredField.customer == customer, StoredField.kind == kind.value
                )
            )
            for name, value in values.items():
                session.add(
                    StoredField(
                        customer=customer,
                        kind=kind.value,
                        field=name,
                        ciphertext=self._box.seal(value, field_context(customer, kind, name)),
                        key_id=self._key_id,
                        updated_at=now,
                        updated_by=actor,
                    )
                )
            # That it was set, by whom, which fields: never a value.
            self._audit.record(
                session,
                AuditEvent(
                    type="credential.set",
                    actor=actor,
                    customer=customer,
                    target=kind.value,
                    outcome="set",
                    data={"kind": kind.value, "fields": sorted(values), "channel": channel},
                ),
            )
        return CredentialRead(
            customer=customer,
            kind=kind,
            fields=dict.fromkeys(sorted(values), PLACEHOLDER),
            updated_at=now,
            updated_by=actor,
        )

    def values(self, customer: str, kind: CredentialKind) -> dict[str, SecretStr]:
        """Every field of one credential, opened; ConfigurationError when there is none."""
        with self._db.session() as session:
            rows = _rows(session, customer, kind)
        if not rows:
            raise ConfigurationError(
                f"no {kind} credential for customer {customer!r}: set it with "
                f"`fixline secrets set {customer} {kind} ...` or PUT /credentials/{customer}/{kind}"
            )
        return {
            row.field: SecretStr(
                self._box.open(row.ciphertext, field_context(customer, kind, row.field))
            )
            for row in rows
        }

    def updated_at(self, customer: str, kind: CredentialKind) -> datetime | None:
        """When a credential was last written (None: never)."""
        with self._db.session() as session:
            rows = _rows(session, customer, kind)
        return min((row.updated_at for row in rows), default=None)

    def listing(self, customer: str | None = None) -> list[CredentialRead]:
        """What is stored, as placeholders: nothing is decrypted."""
        query = select(StoredField).order_by(StoredField.customer, StoredField.kind)
        if customer is not None:
            query = query.where(StoredField.customer == customer)
        views: dict[tuple[str, str], CredentialRead] = {}
        with self._db.session() as session:
            for row in session.scalars(query):
                view = views.setdefault(
                    (row.customer, row.kind),
                    CredentialRead(
                        customer=row.customer,
                        kind=CredentialKind(row.kind),
                        fields={},
                        updated_at=row.updated_at,
                        updated_by=row.updated_by,
                    ),
                )
                view.fields[row.field] = PLACEHOLDER
        return list(views.values())

    # The CredentialSource Protocol: what executors ask for.

    def ssh_credential(self, customer: str) -> SshCredential:
        values = self.values(customer, CredentialKind.SSH)
        return SshCredential(
            _plain(values, "user"), values["private_key"], _plain(values, "known_hosts")
        )

    def directory_credential(self, customer: str) -> DirectoryCredential:
        values = self.values(customer, CredentialKind.DIRECTORY)
        return DirectoryCredential(
            _plain(values, "bind_dn"), values["password"], _plain(values, "ca_pem")
        )

    def mailbox_credential(self, customer: str) -> MailboxCredential:
        values = self.values(customer, CredentialKind.MAILBOX)
        return MailboxCredential(_plain(values, "username"), values["password"])

    def graph_credential(self, customer: str) -> GraphCredential:
        values = self.values(customer, CredentialKind.GRAPH)
        return GraphCredential(
            _plain(values, "tenant_id"),
            _plain(values, "client_id"),
            _plain(values, "certificate"),
            values["private_key"],
            _plain(values, "ca_pem") if "ca_pem" in values else "",
        )

    def store_ssh_credential(
        self, customer: str, credential: SshCredential, actor: str = "fixline"
    ) -> None:
        self.put(customer, CredentialKind.SSH, ssh_fields(credential), actor, channel="service")

    def store_directory_credential(
        self, customer: str, credential: DirectoryCredential, actor: str = "fixline"
    ) -> None:
        fields = directory_fields(credential)
        self.put(customer, CredentialKind.DIRECTORY, fields, actor, channel="service")

    def store_mailbox_credential(
        self, customer: str, credential: MailboxCredential, actor: str = "fixline"
    ) -> None:
        fields = mailbox_fields(credential)
        self.put(customer, CredentialKind.MAILBOX, fields, actor, channel="service")

    def store_graph_credential(
        self, customer: str, credential: GraphCredential, actor: str = "fixline"
    ) -> None:
        fields = graph_fields(credential)
        self.put(customer, CredentialKind.GRAPH, fields, actor, channel="service")


def ssh_fields(credential: SshCredential) -> dict[str, str]:
    return {
        "user": credential.user,
        "private_key": credential.private_key.get_secret_value(),
        "known_hosts": credential.known_hosts,
    }


def directory_fields(credential: DirectoryCredential) -> dict[str, str]:
    return {
        "bind_dn": credential.bind_dn,
        "password": credential.password.get_secret_value(),
        "ca_pem": credential.ca_pem,
    }


def mailbox_fields(credential: MailboxCredential) -> dict[str, str]:
    return {"username": credential.username, "password": credential.password.get_secret_value()}


def graph_fields(credential: GraphCredential) -> dict[str, str]:
    return {
        "tenant_id": credential.tenant_id,
        "client_id": credential.client_id,
        "certificate": credential.certificate_pem,
        "private_key": credential.private_key.get_secret_value(),
        "ca_pem": credential.ca_pem,
    }


def _rows(session: Session, customer: str, kind: CredentialKind) -> list[StoredField]:
    query = select(StoredField).where(
        StoredField.customer == customer, StoredField.kind == kind.value
    )
    return list(session.scalars(query))


def _plain(values: dict[str, SecretStr], name: str) -> str:
    return values[name].get_secret_value()
