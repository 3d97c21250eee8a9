"""The catalog: the set of vetted actions a deployment offers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from runner_api.catalog.models import ActionSpec
from runner_api.errors import ActionNotFoundError, ConfigurationError


class Catalog:
    """Vetted actions by name."""

    def __init__(self, specs: Iterable[ActionSpec]) -> None:
        self._specs: dict[str, ActionSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ConfigurationError(f"action {spec.name!r} is defined twice")
            self._specs[spec.name] = spec

    def get(self, name: str) -> ActionSpec:
        """The spec of an action; ActionNotFoundError when there is none."""
        try:
            return self._specs[name]
        except KeyError:
            raise ActionNotFoundError(f"no vetted action named {name!r}", action=name) from None

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(sorted(self._specs.values(), key=lambda spec: spec.name))
