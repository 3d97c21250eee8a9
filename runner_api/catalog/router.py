"""GET /actions: the vetted catalog, for forms and integrations."""

from __future__ import annotations

from fastapi import APIRouter

from runner_api.api.deps import CoreDep, CurrentUser
from runner_api.catalog.models import ActionSpec
from runner_api.catalog.schemas import ActionRead
from runner_api.core import Core

router = APIRouter(tags=["actions"])


def _read(core: Core, spec: ActionSpec) -> ActionRead:
    item = ActionRead.of(spec)
    if spec.playbook is not None:
        entry = core.vetting.entry(spec.name)
        item.vetted = not core.vetting.changes(spec.name, spec.playbook)
        item.vetted_by = entry.vetted_by if entry else None
        item.vetted_at = entry.vetted_at if entry else None
    return item


@router.get("/actions", summary="List vetted actions")
def list_actions(core: CoreDep, _: CurrentUser) -> list[ActionRead]:
    """Every vetted action with its parameter schema and vetting state."""
    return [_read(core, spec) for spec in core.catalog]


@router.get("/actions/{name}", summary="One vetted action")
def get_action(name: str, core: CoreDep, _: CurrentUser) -> ActionRead:
    """One action; 404 when unknown."""
    return _read(core, core.catalog.get(name))
