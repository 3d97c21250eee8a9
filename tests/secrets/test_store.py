"""The credential store on SQLite and PostgreSQL: sealed, bound to row and field, write-only."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from runner_api.audit.models import AuditRecord
from runner_api.database import Database
from runner_api.errors import ConfigurationError, InvalidParamsError
from runner_api.secrets.credentials import (
    DirectoryCredential,
    GraphCredential,
    MailboxCredential,
    SshCredential,
)
from runner_api.secrets.kinds import CredentialKind
from runner_api.secrets.models import StoredField
from runner_api.secrets.schemas import PLACEHOLDER
from runner_api.secrets.store import EncryptedCredentialSource
from tests.secrets.canary import CERTIFICATE, assert_absent, canary, dump, private_key


def _fill(store: EncryptedCredentialSource) -> list[str]:
    """Store every kind for customer lab with canaries in every field; returns them."""
    names = ("ssh", "ldap", "ews", "ca", "user", "dn", "graph", "app")
    planted = {name: canary(name) for name in names}
    store.store_ssh_credential(
        "lab", SshCredential(planted["user"], SecretStr(private_key(planted["ssh"])), "h k")
    )
    store.store_directory_credential(
        "lab", DirectoryCredential(f"CN={planted['dn']}", SecretStr(planted["ldap"]), CERTIFICATE)
    )
    store.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr(planted["ews"])))
    fields = {"certificate": CERTIFICATE, "private_key": private_key(planted["ca"])}
    store.put("lab", CredentialKind.CA, fields, "admin", channel="test")
    graph = GraphCredential(
        "tenant-1", planted["app"], CERTIFICATE, SecretStr(private_key(planted["graph"]))
    )
    store.store_graph_credential("lab", graph)
    return list(planted.values())


def test_every_kind_round_trips(store: EncryptedCredentialSource) -> None:
    _fill(store)
    ssh = store.ssh_credential("lab")
    assert "PRIVATE KEY" in ssh.private_key.get_secret_value() and ssh.known_hosts == "h k"
    assert store.directory_credential("lab").ca_pem == CERTIFICATE
    assert store.mailbox_credential("lab").username == "svc"
    assert "PRIVATE KEY" in store.values("lab", CredentialKind.CA)["private_key"].get_secret_value()
    graph = store.graph_credential("lab")
    assert graph.tenant_id == "tenant-1" and graph.certificate_pem == CERTIFICATE
    assert graph.ca_pem == "" and "PRIVATE KEY" in graph.private_key.get_secret_value()
    assert "PRIVATE KEY" not in repr(graph) and CERTIFICATE not in repr(graph)
    with pytest.raises(ConfigurationError, match="no mailbox credential for customer 'other'"):
        store.mailbox_credential("other")


def test_a_dump_holds_no_planted_secret(
    database: Database, store: EncryptedCredentialSource
) -> None:
    planted = _fill(store)
    assert_absent(dump(database), *planted)
    views = store.listing("lab")
    assert {view.kind for view in views} == set(CredentialKind)
    assert all(value == PLACEHOLDER for view in views for value in view.fields.values())
    assert_absent(repr(views), *planted)


def test_writes_are_audited_without_values(
    database: Database, store: EncryptedCredentialSource
) -> None:
    planted = _fill(store)
    with database.session() as session:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.type == "credential.set")
        ).all()
        assert {record.target for record in records} == set(CredentialKind)
        assert_absent(repr([(r.data, r.actor) for r in records]), *planted)


def _move(database: Database, source: tuple[str, str, str], target: tuple[str, str, str]) -> None:
    with database.session() as session:
        ciphertext = session.get(StoredField, source)
        destination = session.get(StoredField, target)
        assert ciphertext is not None and destination is not None
        destination.ciphertext = ciphertext.ciphertext


def test_a_ciphertext_moved_to_another_row_or_field_does_not_open(
    database: Database, store: EncryptedCredentialSource
) -> None:
    store.store_mailbox_credential("lab", MailboxCredential("svc-lab", SecretStr("pw-lab-1")))
    store.store_mailbox_credential("contoso", MailboxCredential("svc-co", SecretStr("pw-co-2")))
    _move(database, ("lab", "mailbox", "password"), ("contoso", "mailbox", "password"))
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        store.mailbox_credential("contoso")
    _move(database, ("lab", "mailbox", "password"), ("lab", "mailbox", "username"))
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        store.mailbox_credential("lab")


def test_writes_are_validated_without_echoing_values(store: EncryptedCredentialSource) -> None:
    secret = canary("typo")
    with pytest.raises(InvalidParamsError) as caught:
        store.put(
            "lab", CredentialKind.MAILBOX, {"username": "a", "pasword": secret}, "x", channel="t"
        )
    locations = {tuple(error["loc"]) for error in caught.value.errors}
    assert locations == {("password",), ("pasword",)}
    assert secret not in repr(caught.value.details)
    with pytest.raises(InvalidParamsError):
        store.put(
            "lab",
            CredentialKind.SSH,
            {"user": "u", "private_key": secret, "known_hosts": "k"},
            "x",
            channel="t",
        )
