"""Credential kinds and the fields each one holds, without pydantic: `fixline secrets set`'s
help names them, and building the forms (schemas.py) would cost every `fixline` command a
twentieth of a second at start."""

from __future__ import annotations

from enum import StrEnum


class CredentialKind(StrEnum):
    SSH = "ssh"
    DIRECTORY = "directory"
    MAILBOX = "mailbox"
    CA = "ca"
    GRAPH = "graph"


# The fields of each kind's form (schemas.FORMS), in its order; a test checks they agree.
FIELDS: dict[CredentialKind, tuple[str, ...]] = {
    CredentialKind.SSH: ("user", "private_key", "known_hosts"),
    CredentialKind.DIRECTORY: ("bind_dn", "password", "ca_pem"),
    CredentialKind.MAILBOX: ("username", "password"),
    CredentialKind.CA: ("certificate", "private_key"),
    CredentialKind.GRAPH: ("tenant_id", "client_id", "certificate", "private_key", "ca_pem"),
}
