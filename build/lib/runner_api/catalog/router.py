"""GET /actions: the vetted catalog, for forms and integrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from runner_api.api.deps import CoreDep, require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.catalog.models import ActionSpec
from runner_api.catalog.schemas import ActionRead
from runner_api.core import Core

router = APIRouter(tags=["actions"])
Reader = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]


def _read(core: Core, spec: ActionSpec) -> ActionRead:
    item = ActionRead.of(spec)
    if spec.playbook is not None:
        entry = core.vetting.entry(spec.name)
        item.vetted = not core.vetting.changes(spec.name, spec.playbook)
        item.vetted_by = entry.vetted_by if entry else None
        item.vetted_at = entry.vetted_at if entry else None
    return item


@router.get("/actions", summary="List vetted actions")
def list_actions(core: CoreDep, caller: Reader) -> list[ActionRead]:
    """Every vetted action the caller may run, with its parameter schema and vetting state."""
    return [_read(core, spec) for spec in core.catalog if caller.may_run(spec.name)]


@router.get("/actions/{name}", summary="One vetted action")
def get_action(name: str, core: CoreDep, _: Reader) -> ActionRead:
    """One action; 404 when unknown."""
    return _read(core, core.catalog.get(name))
