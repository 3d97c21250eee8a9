"""A feature package's exports, imported when first used (PEP 562).

Importing one light module of a package (its actions, for the catalog; `fixline actions`)
runs the package's __init__ first: with eager re-exports that imported every client the
package has (exchangelib, msal, httpx), about a second of start-up for a command that
needs none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's module __getattr__: `name` from the submodule `where[name]`."""

    def exported(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return exported
