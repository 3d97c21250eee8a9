"""Requests read as Exchange reads them: well-formed XML, no DTD, valid against schema.py.

parse(raw) -> Document    the element tree, with the line and position of every element
check(document)           the SOAP envelope and the request element against schema.py
Both raise SchemaViolationError (message, line, position); the server answers it with
ErrorSchemaValidation, HTTP 500 (soap.schema_fault), before the operation runs. Messages
follow the wording of .NET's XmlReader and XmlSchemaValidator, which Exchange passes on.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from xml.parsers import expat

from lab.ews.schema import HEADERS, OPERATIONS, PREFIXES, TYPES, XS, Child, Complex, clark
from lab.ews.soap import S

_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
_INT = re.compile(r"[+-]?\d+")
_BOOLEAN = frozenset({"true", "false", "1", "0"})
_NAMESPACE_OF = {uri: prefix for prefix, uri in PREFIXES.items()}
_BODY_TYPES = {clark(name): type_ for name, type_ in OPERATIONS.items()}
_HEADER_TYPES = {clark(name): type_ for name, type_ in HEADERS.items()}


class SchemaViolationError(Exception):
    """Where and how a request breaks the schema (ErrorSchemaValidation)."""

    def __init__(self, message: str, line: int = 0, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.position = position


@dataclass(frozen=True)
class Document:
    root: ET.Element
    # id(element) -> (line, position of its name), both 1-based as .NET counts them.
    positions: dict[int, tuple[int, int]]

    def violation(self, elem: ET.Element, message: str) -> SchemaViolationError:
        return SchemaViolationError(message, *self.positions.get(id(elem), (0, 0)))


def _clark(name: str) -> str:
    # expat with namespace_separator "}" gives "uri}local"; ElementTree spells "{uri}local".
    return "{" + name if "}" in name else name


def parse(raw: bytes) -> Document:
    """The request's element tree; malformed XML or a DTD is a violation, as in .NET."""
    builder = ET.TreeBuilder()
    positions: dict[int, tuple[int, int]] = {}
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        elem = builder.start(_clark(name), {_clark(k): v for k, v in attributes.items()})
        positions[id(elem)] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 2)

    def doctype(*_: object) -> None:
        # Exchange's reader prohibits DTDs (no entity expansion from a request).
        line, position = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        raise SchemaViolationError(
            "For security reasons DTD is prohibited in this XML document. "
            f"Line {line}, position {position}.", line, position
        )  # fmt: skip

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_clark(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages[exc.code]
        line, position = exc.lineno, exc.offset + 1
        message = f"{reason[:1].upper()}{reason[1:]}. Line {line}, position {position}."
        raise SchemaViolationError(message, line, position) from None
    return Document(builder.close(), positions)


def check(document: Document) -> None:
    """Envelope (Header?, Body), EWS header elements and the one request element."""
    root = document.root
    if root.tag != clark("s:Envelope"):
        raise document.violation(root, f"The root element must be 'Envelope' in namespace '{S}'.")
    _element(document, root, "s:Envelope")
    *header, body = root
    for elem in header[0] if header else ():
        if elem.tag in _HEADER_TYPES:
            _element(document, elem, _HEADER_TYPES[elem.tag])
    if len(body) != 1:
        held = len(body)
        raise document.violation(body, f"The SOAP Body must hold one request; it holds {held}.")
    if body[0].tag in _BODY_TYPES:
        _element(document, body[0], _BODY_TYPES[body[0].tag])
    # Any other request element is no schema matter: the server answers ErrorInvalidOperation.


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _qualified(tag: str) -> str:
    """'{ns}Local' as .NET names an element in a message: 'ns:Local'."""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"{namespace}:{local}" if namespace else local


def _element(document: Document, elem: ET.Element, type_name: str) -> None:
    kind = TYPES[type_name]
    if not isinstance(kind, Complex):
        _attributes(document, elem, Complex())
        _text_only(document, elem, type_name)
        return
    _attributes(document, elem, kind)
    if kind.lax:
        return
    if kind.text is not None:
        _text_only(document, elem, kind.text)
        return
    texts = [elem.text, *(child.tail for child in elem)]
    if any(text and text.strip() for text in texts):
        raise document.violation(
            elem, f"The element {_in(elem.tag)} cannot contain text. List of possible elements "
            f"expected: {_expected(kind.children, 0, 0)}.",
        )  # fmt: skip
    _children(document, elem, kind.children)


def _text_only(document: Document, elem: ET.Element, type_name: str) -> None:
    if len(elem):
        raise document.violation(
            elem[0], f"The element '{_local(elem.tag)}' cannot contain child element "
            f"'{_local(elem[0].tag)}' because the parent element's content model is text only.",
        )  # fmt: skip
    _value(document, elem, f"The '{_qualified(elem.tag)}' element", type_name, elem.text)


def _children(document: Document, elem: ET.Element, particles: tuple[Child, ...]) -> None:
    """Match the children in order against the particles (EWS's models are deterministic)."""
    index, count = 0, 0
    for child in elem:
        while True:
            if index == len(particles):
                raise document.violation(
                    child,
                    f"The element {_in(elem.tag)} has invalid child element {_in(child.tag)}.",
                )
            particle = particles[index]
            type_name = dict((clark(n), t) for n, t in particle.elements).get(child.tag)
            if type_name is not None and (particle.max is None or count < particle.max):
                count += 1
                _element(document, child, type_name)
                break
            if count < particle.min:
                raise document.violation(
                    child, f"The element {_in(elem.tag)} has invalid child element "
                    f"{_in(child.tag)}. List of possible elements expected: "
                    f"{_expected(particles, index, count)}.",
                )  # fmt: skip
            index, count = index + 1, 0
    for later in range(index, len(particles)):
        if (count if later == index else 0) < particles[later].min:
            raise document.violation(
                elem, f"The element {_in(elem.tag)} has incomplete content. List of possible "
                f"elements expected: {_expected(particles, index, count)}.",
            )  # fmt: skip


def _in(tag: str) -> str:
    namespace, _, local = tag[1:].partition("}")
    return f"'{local}' in namespace '{namespace}'"


def _expected(particles: tuple[Child, ...], index: int, count: int) -> str:
    """The elements that could come next, grouped by namespace, as .NET lists them."""
    names: list[str] = []
    for position in range(index, len(particles)):
        particle = particles[position]
        taken = count if position == index else 0
        if particle.max is None or taken < particle.max:
            names.extend(clark(name) for name, _ in particle.elements)
        if taken < particle.min:
            break
    groups: dict[str, list[str]] = {}
    for tag in names:
        namespace, _, local = tag[1:].partition("}")
        groups.setdefault(namespace, []).append(local)
    return " as well as ".join(
        f"'{', '.join(locals_)}' in namespace '{namespace}'"
        for namespace, locals_ in groups.items()
    )


def _attributes(document: Document, elem: ET.Element, kind: Complex) -> None:
    for name, value in elem.attrib.items():
        namespace, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        if namespace == S and kind.soap_attributes:
            continue
        key = f"{_NAMESPACE_OF.get(namespace, namespace)}:{local}" if namespace else local
        declared = kind.attributes.get(key)
        if declared is None:
            raise document.violation(elem, f"The '{local}' attribute is not declared.")
        _value(document, elem, f"The '{local}' attribute", declared.type, value)
    for key, declared in kind.attributes.items():
        if declared.required and (clark(key) if ":" in key else key) not in elem.attrib:
            raise document.violation(elem, f"The required attribute '{key}' is missing.")


def _value(
    document: Document, elem: ET.Element, what: str, type_name: str, text: str | None
) -> None:
    """A simple type's value: its base kind, enumeration and length."""
    simple = TYPES[type_name]
    assert not isinstance(simple, Complex), type_name
    value = text or ""
    reason = None
    if simple.kind == "boolean" and value.strip() not in _BOOLEAN:
        reason = f"The string '{value}' is not a valid Boolean value."
    elif simple.kind == "int" and not _int32(value.strip()):
        reason = f"The string '{value}' is not a valid Int32 value."
    elif simple.kind == "dateTime" and not _datetime(value.strip()):
        reason = f"The string '{value}' is not a valid XsdDateTime value."
    elif simple.values and value not in simple.values:
        reason = "The Enumeration constraint failed."
    elif len(value) < simple.min_length:
        reason = "The actual length is less than the MinLength value."
    if reason is not None:
        prefix, _, local = type_name.partition(":")
        datatype = f"{XS if prefix == 'xs' else PREFIXES[prefix]}:{local}"
        raise document.violation(
            elem, f"{what} is invalid - The value '{value}' is invalid according to its "
            f"datatype '{datatype}' - {reason}",
        )  # fmt: skip


def _int32(value: str) -> bool:
    return bool(_INT.fullmatch(value)) and -(2**31) <= int(value) < 2**31


def _datetime(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
