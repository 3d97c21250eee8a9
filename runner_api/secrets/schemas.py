"""Credential forms, one per kind, and the placeholder views the API answers.

A kind is a pydantic form: its fields are the rows the store keeps, its validators decide
what a write may contain. A new kind (issue 7's per-customer CA keys are `ca`) is a new
form in FORMS, its field names in kinds.FIELDS; the store, the CLI and the API take it
from there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from runner_api.errors import InvalidParamsError
from runner_api.secrets.kinds import CredentialKind

# What every read shows instead of a value (AWX's REPLACE_STR): secrets are write-only.
PLACEHOLDER = "$encrypted$"


class CredentialForm(BaseModel):
    """Base of every kind: strict, so a misspelt field is an error, not a silent drop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def values(self) -> dict[str, str]:
        """Field name to plain value, ready to seal."""
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            for name, value in self
        }


def _one_line(value: str) -> str:
    if "\n" in value.strip() or not value.strip():
        raise ValueError("must be one non-empty line")
    return value.strip()


def _private_key(value: SecretStr) -> SecretStr:
    if "PRIVATE KEY" not in value.get_secret_value():
        raise ValueError("must be a PEM private key")
    return value


def _certificate(value: str) -> str:
    if "BEGIN CERTIFICATE" not in value:
        raise ValueError("must be a PEM certificate")
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
PrivateKey = Annotated[SecretStr, AfterValidator(_private_key)]
Certificate = Annotated[str, AfterValidator(_certificate)]
Password = Annotated[SecretStr, Field(min_length=1)]


class SshForm(CredentialForm):
    user: OneLine
    private_key: PrivateKey
    # Pinned host keys (OpenSSH known_hosts): host keys are never trusted on first use.
    known_hosts: str = Field(min_length=1)


class DirectoryForm(CredentialForm):
    bind_dn: OneLine
    password: Password
    # The CA that signed the DC's certificate: TLS is verified against it.
    ca_pem: Certificate


class MailboxForm(CredentialForm):
    username: OneLine
    password: Password


class CaForm(CredentialForm):
    """A customer's issuing CA (issue 7): certificate and private key."""

    certificate: Certificate
    private_key: PrivateKey


def _optional_certificate(value: str) -> str:
    return _certificate(value) if value.strip() else ""


class GraphForm(CredentialForm):
    """An Entra ID app registration with a certificate credential (never a client secret)."""

    tenant_id: OneLine
    client_id: OneLine
    certificate: Certificate
    private_key: PrivateKey
    # An extra CA to trust (a simulator's); empty: the system's trust store only.
    ca_pem: Annotated[str, AfterValidator(_optional_certificate)] = ""


FORMS: dict[CredentialKind, type[CredentialForm]] = {
    CredentialKind.SSH: SshForm,
    CredentialKind.DIRECTORY: DirectoryForm,
    CredentialKind.MAILBOX: MailboxForm,
    CredentialKind.CA: CaForm,
    CredentialKind.GRAPH: GraphForm,
}


def validate_fields(kind: CredentialKind, fields: dict[str, str]) -> CredentialForm:
    """The kind's form from raw fields; InvalidParamsError (422) without echoing any value."""
    try:
        return FORMS[kind].model_validate(fields)
    except ValidationError as exc:
        errors = [
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise InvalidParamsError(f"invalid {kind} credential", errors) from None


class CredentialRead(BaseModel):
    """One stored credential as anyone may see it: field names, never values."""

    customer: str
    kind: CredentialKind
    fields: dict[str, str] = Field(description=f"Every value reads {PLACEHOLDER!r}.")
    updated_at: datetime
    updated_by: str
