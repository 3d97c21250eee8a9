"""API shapes of the catalog."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from runner_api.catalog.choices import sources
from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier

# JSON Schema keyword of a parameter whose values the customer lists: where they are kept
# (`inventory`, or an allow-list's name); GET /actions/{name}/choices gives the values.
CHOICES = "x-choices"


def _schema(spec: ActionSpec) -> dict[str, Any]:
    schema = spec.params_schema()
    for param, source in sources(spec).items():
        schema.get("properties", {}).get(param, {})[CHOICES] = source
    return schema


class ActionRead(BaseModel):
    """A vetted action, with the JSON Schema of its parameters (secret fields marked)."""

    name: str
    kind: ActionKind
    title: str
    description: str
    risk: RiskTier
    target_param: str
    timeout_s: int
    supports_check_mode: bool
    secret_params: list[str]
    allowlisted_params: dict[str, str]
    params_schema: dict[str, Any]
    vetted: bool | None = None
    vetted_by: str | None = None
    vetted_at: str | None = None

    @classmethod
    def of(cls, spec: ActionSpec) -> ActionRead:
        return cls(
            name=spec.name,
            kind=spec.kind,
            title=spec.title,
            description=spec.description,
            risk=spec.risk,
            target_param=spec.target_param,
            timeout_s=spec.timeout_s,
            supports_check_mode=spec.supports_check_mode,
            secret_params=sorted(spec.secret_fields()),
            allowlisted_params=dict(spec.allowlisted),
            params_schema=_schema(spec),
        )


class ChoiceRead(BaseModel):
    """The values one parameter may take for one customer (GET /actions/{name}/choices)."""

    values: list[str] = Field(description="Sorted; empty when the customer has none.")
    source: str = Field(
        description="`inventory` (the customer's hosts.yml) or the name of the allow-list "
        "in its fixline.yml (`services`, `packages`, `groups`)."
    )
