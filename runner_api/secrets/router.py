"""PUT /credentials/{customer}/{kind} and GET /credentials/{customer}: write-only secrets.

A write answers the same placeholder view a read does: no response ever carries a value.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from runner_api.auth.authorize import require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.customers.registry import CustomerRegistry
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.secrets.kinds import CredentialKind
from runner_api.secrets.schemas import FORMS, CredentialRead
from runner_api.secrets.store import EncryptedCredentialSource

router = APIRouter(prefix="/credentials", tags=["credentials"])
CredentialsDep = Annotated[EncryptedCredentialSource, service(EncryptedCredentialSource)]
CustomersDep = Annotated[CustomerRegistry, service(CustomerRegistry)]

Admin = Annotated[Principal, Depends(require(Permission.CREDENTIALS_MANAGE))]

_FIELDS_DOC = "\n".join(
    f"* `{kind}`: "
    + ", ".join(
        f"`{name}`" + ("" if field.is_required() else " (optional)")
        for name, field in form.model_fields.items()
    )
    for kind, form in FORMS.items()
)


@router.put(
    "/{customer}/{kind}",
    summary="Set a customer's credential (write-only)",
    description="Seal every field of one credential, replacing the stored one. The body "
    "holds exactly the kind's fields, all required unless marked optional:\n\n"
    + _FIELDS_DOC
    + "\n\nThe answer "
    "shows field names only; values read `$encrypted$`, now and on every later read.",
    responses={
        404: {"model": ErrorResponse, "description": "No such customer."},
        422: {"model": ErrorResponse, "description": "Missing, unknown or malformed fields."},
    },
)
def put_credential(
    customer: str,
    kind: CredentialKind,
    fields: Annotated[dict[str, str], Body(description="Field name to value.")],
    customers: CustomersDep,
    credentials: CredentialsDep,
    caller: Admin,
) -> CredentialRead:
    # Outside a scoped admin's customers a customer does not exist (404), as everywhere.
    require_customer(caller, customer)
    customers.get(customer)
    return credentials.put(customer, kind, fields, caller.name, channel="api")


@router.get(
    "/{customer}",
    summary="List a customer's credentials (placeholders, never values)",
    responses={404: {"model": ErrorResponse, "description": "No such customer."}},
)
def list_credentials(
    customer: str, customers: CustomersDep, credentials: CredentialsDep, caller: Admin
) -> list[CredentialRead]:
    """Which kinds are stored, their field names and who set them when; values read
    `$encrypted$`."""
    require_customer(caller, customer)
    customers.get(customer)
    return credentials.listing(customer)
