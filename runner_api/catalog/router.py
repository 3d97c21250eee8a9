"""GET /actions: the vetted catalog, for forms and integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from runner_api.auth.authorize import require_action, require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.catalog.choices import choices
from runner_api.catalog.models import ActionSpec
from runner_api.catalog.registry import Catalog
from runner_api.catalog.schemas import ActionRead, ChoiceRead
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.routing.services import service

router = APIRouter(tags=["actions"])
CatalogDep = Annotated[Catalog, service(Catalog)]
VettingDep = Annotated[VettingLock, service(VettingLock)]
CustomersDep = Annotated[CustomerRegistry, service(CustomerRegistry)]
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]


def _read(vetting: VettingLock, spec: ActionSpec) -> ActionRead:
    item = ActionRead.of(spec)
    if spec.playbook is not None:
        entry = vetting.entry(spec.name)
        item.vetted = not vetting.changes(spec.name, spec.playbook)
        item.vetted_by = entry.vetted_by if entry else None
        item.vetted_at = entry.vetted_at if entry else None
    return item


@router.get("/actions", summary="List vetted actions")
def list_actions(catalog: CatalogDep, vetting: VettingDep, caller: Reader) -> list[ActionRead]:
    """Every vetted action the caller may run, with its parameter schema and vetting state."""
    return [_read(vetting, spec) for spec in catalog if caller.may_run(spec.name)]


@router.get("/actions/{name}", summary="One vetted action")
def get_action(name: str, catalog: CatalogDep, vetting: VettingDep, _: Reader) -> ActionRead:
    """One action; 404 when unknown."""
    return _read(vetting, catalog.get(name))


@router.get("/actions/{name}/choices", summary="What a customer allows for an action")
def action_choices(
    name: str,
    catalog: CatalogDep,
    customers: CustomersDep,
    caller: Reader,
    customer: Annotated[str, Query(min_length=1, max_length=64, examples=["lab"])],
) -> dict[str, ChoiceRead]:
    """Per listed parameter, the values the customer allows: its inventory's hosts and its
    allow-lists (services, packages, groups), the same values a run is checked against. A
    parameter not named here is free text. A customer outside the caller's scope is 404."""
    require_customer(caller, customer)
    require_action(caller, name)
    found = customers.get(customer)
    return {
        param: ChoiceRead(values=sorted(choice.values), source=choice.source)
        for param, choice in choices(catalog.get(name), found).items()
    }
