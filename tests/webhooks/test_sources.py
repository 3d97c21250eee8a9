"""The sources file is checked at start-up: custom fields name only outcome fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.registry import Catalog
from runner_api.customers.registry import CustomerRegistry
from runner_api.errors import ConfigurationError
from runner_api.webhooks.sources import load_sources
from tests.plugins.lab import PROJECT_DIR

SOURCE = """\
version: 1
sources:
  rt:
    customers: [lab]
    ticket_system: rt
    custom_fields: {{"Fixline Run": "{text}"}}
"""


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "webhooks.yml"
    path.write_text(SOURCE.format(text=text))
    load_sources(path, Catalog(builtin_actions()), CustomerRegistry(PROJECT_DIR / "inventories"))


def test_custom_fields_may_name_the_outcome_only(tmp_path: Path) -> None:
    load(tmp_path, "$status $run_id ($action)")
    for text in ("$params", "${secret}", "$", "$status $"):
        with pytest.raises(ConfigurationError, match="custom field"):
            load(tmp_path, text)


MONITORED = """\
version: 1
sources:
  nagios:
    customers: [lab]
    services:
      - {{host: lab-host, service: HTTP, customer: lab, action: service_restart,
         params: {{host: lab-host, unit: {unit}}}}}
"""


def test_a_template_in_a_static_parameter_stops_start_up(tmp_path: Path) -> None:
    """Monitoring's parameters come from this file only: the action's patterns apply there
    too, so a planted template is a configuration error, not a run."""
    path = tmp_path / "webhooks.yml"
    catalog = Catalog(builtin_actions())
    customers = CustomerRegistry(PROJECT_DIR / "inventories")
    path.write_text(MONITORED.format(unit="fixline-lab-web"))
    load_sources(path, catalog, customers)
    path.write_text(MONITORED.format(unit="\"{{ lookup('pipe', 'id') }}\""))
    with pytest.raises(ConfigurationError, match="parameters do not fit"):
        load_sources(path, catalog, customers)
