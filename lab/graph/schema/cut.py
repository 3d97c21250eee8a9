"""Cut the CSDL subset the Graph simulator conforms to from Microsoft's published v1.0 schema.

    python -m lab.graph.schema.cut PATH/TO/v1.0-Prod.csdl

writes lab/graph/schema/v1.0-subset.csdl: the entity and complex types in TYPES, their base
types, and every enum type their properties name, in the published order. Each type keeps its
attributes, key and properties; navigation properties and annotations are left out (the
simulator sends none). Add a type here, run this, commit both, when the simulator sends one more.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NAMESPACE = "microsoft.graph"
SUBSET = Path(__file__).with_name("v1.0-subset.csdl")
TYPES = (
    "entity",
    "directoryObject",
    "user",
    "passwordProfile",
    "group",
    "directoryRole",
    "unifiedRoleAssignment",
    "authenticationMethod",
    "passwordAuthenticationMethod",
    "microsoftAuthenticatorAuthenticationMethod",
    "phoneAuthenticationMethod",
    "fido2AuthenticationMethod",
    "softwareOathAuthenticationMethod",
    "emailAuthenticationMethod",
    "temporaryAccessPassAuthenticationMethod",
    "userRegistrationDetails",
    # Exchange Online through Graph: mailbox settings, inbox rules, calendar sharing.
    "mailboxSettings",
    "automaticRepliesSetting",
    "dateTimeTimeZone",
    "localeInfo",
    "workingHours",
    "timeZoneBase",
    "mailFolder",
    "messageRule",
    "messageRulePredicates",
    "messageRuleActions",
    "sizeRange",
    "recipient",
    "emailAddress",
    "calendarPermission",
)
TYPE_TAGS = {f"{{{EDM}}}EntityType", f"{{{EDM}}}ComplexType", f"{{{EDM}}}EnumType"}
KEPT_CHILDREN = {f"{{{EDM}}}Property", f"{{{EDM}}}Key", f"{{{EDM}}}Member"}
HEADER = (
    "<!-- A subset of Microsoft Graph's published v1.0 CSDL "
    "(microsoftgraph/msgraph-metadata, schemas/v1.0-Prod.csdl; MIT licence, see LICENSE "
    "beside this file), cut by lab/graph/schema/cut.py. Do not edit by hand. -->\n"
)


def graph_schema(root: ET.Element) -> ET.Element:
    for schema in root.iter(f"{{{EDM}}}Schema"):
        if schema.get("Namespace") == NAMESPACE:
            return schema
    raise ValueError(f"no Schema {NAMESPACE} in the CSDL")


def local(type_name: str) -> str | None:
    """`graph.x`, `microsoft.graph.x` or `Collection(graph.x)` -> x; None for Edm types."""
    inner = type_name.removeprefix("Collection(").removesuffix(")")
    for prefix in ("graph.", f"{NAMESPACE}."):
        if inner.startswith(prefix):
            return inner[len(prefix) :]
    return None


def cut(published: ET.Element) -> ET.Element:
    """The subset document (edmx root) of a published one."""
    schema = graph_schema(published)
    by_name = {e.get("Name"): e for e in schema if e.tag in TYPE_TAGS}
    wanted = set(TYPES)
    todo = list(TYPES)
    while todo:
        element = by_name[todo.pop()]
        base = local(element.get("BaseType", ""))
        referenced = [base] if base else []
        for prop in element.findall(f"{{{EDM}}}Property"):
            name = local(prop.get("Type", ""))
            if name and by_name[name].tag == f"{{{EDM}}}EnumType":
                referenced.append(name)
        for name in referenced:
            if name not in wanted:
                wanted.add(name)
                todo.append(name)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    subset = ET.SubElement(services, f"{{{EDM}}}Schema", {"Namespace": NAMESPACE, "Alias": "graph"})
    for element in schema:
        if element.get("Name") in wanted and element.tag in TYPE_TAGS:
            copy = ET.SubElement(subset, element.tag, dict(element.attrib))
            for child in element:
                if child.tag in KEPT_CHILDREN:
                    copy.append(child)
    return root


def render(root: ET.Element) -> str:
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + HEADER + body + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    # Microsoft's own published schema, read from a local copy (no DTDs in CSDL).
    published = ET.parse(argv[0]).getroot()  # noqa: S314
    SUBSET.write_text(render(cut(published)))
    print(f"wrote {SUBSET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
