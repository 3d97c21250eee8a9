"""Webhook sources and their mapping rules: declarative YAML, versioned, validated at start.

A source names the customers its runs may be for, where outcomes are written back, and
(except the built-in `generic` and `nagios` shapes) rules: which ticket fields select the
customer, the action and its parameters. A rule only references payload fields by name;
it never evaluates anything the sender wrote.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from string import Template
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runner_api.catalog.registry import Catalog
from runner_api.customers.registry import CustomerRegistry
from runner_api.errors import ConfigurationError, FixlineError
from runner_api.runs.schemas import CUSTOMER_PATTERN

GENERIC = "generic"
NAGIOS = "nagios"
SOURCE_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
# What a custom field's text may name of a run's outcome.
OUTCOME_FIELDS = ("run_id", "status", "action")


class TicketSystemKind(StrEnum):
    """Where a source's outcomes are written back."""

    NONE = "none"
    CALLBACK = "callback"  # a JSON POST to the source's callback URL, signed like webhooks
    RT = "rt"  # Request Tracker 5, REST 2


REQUESTER_PREFIX = "webhook:"


def requester_of(source: str) -> str:
    """The requester (name and id) of runs a source starts: a source's name is unique."""
    return f"{REQUESTER_PREFIX}{source}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One mapping: when every `match` field equals its value (and every `contains` field
    contains its text), run `action` for the selected customer with these parameters."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    match: dict[str, str | int] = Field(default_factory=dict)
    contains: dict[str, str] = Field(default_factory=dict)
    customer: str | None = Field(None, pattern=CUSTOMER_PATTERN)
    customer_from: str | None = None
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    params_from: dict[str, str] = Field(default_factory=dict)
    ticket_from: str = "ticket_id"

    @model_validator(mode="after")
    def _one_customer(self) -> Rule:
        if (self.customer is None) == (self.customer_from is None):
            raise ValueError(f"rule {self.name}: give exactly one of customer, customer_from")
        return self


class MonitoredService(_Strict):
    """A (host, service) of the monitoring whose HARD CRITICAL starts a remediation."""

    host: str
    service: str
    customer: str = Field(pattern=CUSTOMER_PATTERN)
    action: str
    params: dict[str, Any] = Field(default_factory=dict)


class Source(_Strict):
    customers: list[str] = Field(min_length=1)
    # Also accept v1 signatures (sha256=, the Idempotency-Key unsigned) while this source's
    # senders still send them; each such delivery is recorded as scheme v1. Off: v2 only.
    accept_v1_signatures: bool = False
    ticket_system: TicketSystemKind = TicketSystemKind.NONE
    callback_url: str | None = Field(None, pattern=r"^https?://")
    # RT: the queue monitoring opens tickets in; the ticket status set after a success.
    queue: str = "General"
    status_on_success: str | None = None
    # Ticket custom fields set with every outcome, after the comment: name -> text, which
    # may name $run_id, $status and $action (e.g. {"Fixline Run": "$status $run_id"}).
    custom_fields: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    services: list[MonitoredService] = Field(default_factory=list)

    @model_validator(mode="after")
    def _callback_url(self) -> Source:
        if self.ticket_system is TicketSystemKind.CALLBACK and not self.callback_url:
            raise ValueError("ticket_system callback needs callback_url")
        return self

    @model_validator(mode="after")
    def _custom_fields(self) -> Source:
        for name, text in self.custom_fields.items():
            template = Template(text)
            unknown = set(template.get_identifiers()) - set(OUTCOME_FIELDS)
            if not name.strip() or not template.is_valid() or unknown:
                raise ValueError(
                    f"custom field {name!r}: a non-empty name, and a text naming only "
                    f"{', '.join('$' + f for f in OUTCOME_FIELDS)}"
                )
        return self


class SourcesFile(_Strict):
    version: Literal[1]
    sources: dict[str, Source] = Field(default_factory=dict)


class Sources:
    """The validated sources of one process."""

    def __init__(self, sources: dict[str, Source]) -> None:
        self._sources = sources

    def find(self, name: str) -> Source | None:
        return self._sources.get(name)

    def names(self) -> list[str]:
        return sorted(self._sources)


def load_sources(path: Path, catalog: Catalog, customers: CustomerRegistry) -> Sources:
    """Read and check the sources file; ConfigurationError names the first problem."""
    if not path.is_file():
        return Sources({})
    try:
        parsed = SourcesFile.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
    for name, source in parsed.sources.items():
        _check(name, source, catalog, customers, path)
    return Sources(dict(parsed.sources))


def _check(
    name: str, source: Source, catalog: Catalog, customers: CustomerRegistry, path: Path
) -> None:
    where = f"{path}: source {name!r}"
    if not re.match(SOURCE_PATTERN, name):
        raise ConfigurationError(f"{where}: a source name is lower-case letters, digits, - _")
    try:
        for customer in source.customers:
            customers.get(customer)
        entries: list[Rule | MonitoredService] = [*source.rules, *source.services]
        for entry in entries:
            spec = catalog.get(entry.action)
            if entry.customer is not None and entry.customer not in source.customers:
                raise ConfigurationError(f"{where}: customer {entry.customer!r} is not allowed")
            if not isinstance(entry, Rule) or not entry.params_from:
                # Fully static parameters must already pass the action's own schema.
                spec.params_model.model_validate(entry.params)
    except ValidationError as exc:
        raise ConfigurationError(f"{where}: parameters do not fit the action: {exc}") from None
    except FixlineError as exc:
        raise ConfigurationError(f"{where}: {exc.message}") from None
    if source.rules and name in (GENERIC, NAGIOS):
        raise ConfigurationError(f"{where}: the built-in {name} shape takes no rules")
