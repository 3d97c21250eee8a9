"""The CSDL subset as the simulator reads it: types by name, declared properties, enum members.

Loaded once from lab/graph/schema/v1.0-subset.csdl; the request bodies the simulator checks
(lab/graph/bodies.py) and the conformance test of its answers read the same declarations.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from lab.graph.schema import cut

EDM = f"{{{cut.EDM}}}"


@dataclass(frozen=True)
class Prop:
    """One declared property: its name, its type as written (`Collection(graph.x)` too)."""

    name: str
    type: str
    nullable: bool

    @property
    def many(self) -> bool:
        return self.type.startswith("Collection(")

    @property
    def item_type(self) -> str:
        """The type of one value: the collection's item type, else the type itself."""
        return self.type[len("Collection(") : -1] if self.many else self.type


@dataclass(frozen=True)
class Schema:
    """Types by name (entity, complex and enum types of the microsoft.graph namespace)."""

    types: dict[str, ET.Element]

    @classmethod
    def load(cls, path: Path) -> Schema:
        # A CSDL file of Microsoft's or cut from it: no DTDs, no entities.
        schema = cut.graph_schema(ET.parse(path).getroot())  # noqa: S314
        return cls({e.get("Name", ""): e for e in schema if e.tag in cut.TYPE_TAGS})

    def properties(self, type_name: str) -> dict[str, Prop]:
        """Declared properties of a type, its base types' included."""
        found: dict[str, Prop] = {}
        name: str | None = type_name
        while name:
            element = self.types[name]
            for prop in element.findall(f"{EDM}Property"):
                key = prop.get("Name", "")
                found.setdefault(
                    key, Prop(key, prop.get("Type", ""), prop.get("Nullable") != "false")
                )
            name = cut.local(element.get("BaseType", ""))
        return found

    def derives(self, derived: str, base: str) -> bool:
        name: str | None = derived
        while name:
            if name == base:
                return True
            name = cut.local(self.types[name].get("BaseType", ""))
        return False

    def members(self, enum_name: str) -> tuple[str, ...] | None:
        """An enum type's member names in declared order; None when it is no enum type."""
        element = self.types.get(enum_name)
        if element is None or element.tag != f"{EDM}EnumType":
            return None
        return tuple(m.get("Name", "") for m in element.findall(f"{EDM}Member"))


@functools.cache
def subset() -> Schema:
    """The subset the simulator conforms to (read once per process)."""
    return Schema.load(cut.SUBSET)
