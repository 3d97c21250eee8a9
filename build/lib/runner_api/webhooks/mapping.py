"""From a verified payload to what to run: the built-in `generic` shape, or a source's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from runner_api.errors import InvalidRequestError
from runner_api.runs.schemas import ACTION_PATTERN, CUSTOMER_PATTERN, TICKET_ID_PATTERN
from runner_api.webhooks.sources import GENERIC, Rule, Source


class UnmappedPayloadError(InvalidRequestError):
    """No rule of the source matches the payload (or it has not the built-in shape): 422."""

    code = "unmapped_payload"


class GenericDelivery(BaseModel):
    """The built-in `generic` source: the sender names the run itself."""

    model_config = ConfigDict(extra="forbid")

    customer: str = Field(pattern=CUSTOMER_PATTERN)
    ticket_id: str = Field(pattern=TICKET_ID_PATTERN)
    action: str = Field(pattern=ACTION_PATTERN)
    params: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Mapped:
    """What a delivery asks for, before RunService validates the parameters."""

    customer: str
    ticket_id: str
    action: str
    params: dict[str, Any]
    rule: str


def map_payload(source_name: str, source: Source, payload: dict[str, Any]) -> Mapped:
    """The run a payload maps to; UnmappedPayloadError with the reason otherwise."""
    if source_name == GENERIC:
        try:
            generic = GenericDelivery.model_validate(payload)
        except ValidationError as exc:
            reasons = [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            raise UnmappedPayloadError(
                "the payload is not {customer, ticket_id, action, params}", errors=reasons
            ) from None
        return Mapped(generic.customer, generic.ticket_id, generic.action, generic.params, GENERIC)
    for rule in source.rules:
        if _matches(rule, payload):
            return _apply(rule, payload)
    raise UnmappedPayloadError(
        f"no mapping rule of source {source_name!r} matches this payload; nothing runs",
        rules=[rule.name for rule in source.rules],
    )


def _matches(rule: Rule, payload: dict[str, Any]) -> bool:
    equal = all(str(payload.get(k)) == str(v) for k, v in rule.match.items())
    return equal and all(
        isinstance(payload.get(k), str) and text.lower() in payload[k].lower()
        for k, text in rule.contains.items()
    )


def _apply(rule: Rule, payload: dict[str, Any]) -> Mapped:
    missing = [f for f in [rule.ticket_from, *rule.params_from.values()] if f not in payload]
    if rule.customer_from is not None and rule.customer_from not in payload:
        missing.append(rule.customer_from)
    if missing:
        raise UnmappedPayloadError(
            f"rule {rule.name!r} matched but the payload lacks {', '.join(sorted(missing))}",
            rule=rule.name,
        )
    customer = rule.customer or str(payload[rule.customer_from or ""])
    params = {**rule.params, **{k: payload[f] for k, f in rule.params_from.items()}}
    return Mapped(customer, str(payload[rule.ticket_from]), rule.action, params, rule.name)
