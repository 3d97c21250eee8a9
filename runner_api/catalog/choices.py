"""The values a customer allows for an action's listed parameters: its inventory's hosts and
its allow-lists. One function, `choices`, feeds both the check of a run's parameters
(runs/service.py) and the pickers of the page (GET /actions/{name}/choices), so a picker
never offers what the server refuses, nor hides what it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer

# The parameter that names a host of the customer's inventory, in every action that has one
# (playbooks run on it, certificates are issued for its inventory names only).
HOST_PARAM = "host"
INVENTORY = "inventory"


@dataclass(frozen=True)
class Choice:
    """The values one parameter may take for one customer, and where they are kept."""

    values: frozenset[str]
    # INVENTORY (hosts.yml) or the name of an allow-list in fixline.yml.
    source: str

    @property
    def allowlist(self) -> str | None:
        """The allow-list's name; None for the inventory's hosts."""
        return None if self.source == INVENTORY else self.source


def sources(spec: ActionSpec) -> dict[str, str]:
    """Per listed parameter of the action, where its values are kept: INVENTORY or the name
    of an allow-list. A parameter not named here is free text (checked by its pattern and
    the action's guardrails)."""
    listed = {HOST_PARAM: INVENTORY} if HOST_PARAM in spec.params_model.model_fields else {}
    return listed | dict(spec.allowlisted)


def choices(spec: ActionSpec, customer: Customer) -> dict[str, Choice]:
    """Per listed parameter of the action, the values the customer allows."""
    return {
        param: Choice(customer.hosts if source == INVENTORY else customer.allowlist(source), source)
        for param, source in sources(spec).items()
    }
