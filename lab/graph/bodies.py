"""Request bodies read as Graph's OData layer reads them: against the declared type, in one place.

`read(call, type)` returns the body with enum members in their declared spelling, or raises
the 400 Graph answers before a service sees the request:
  a property the type does not declare   RequestBodyRead "The property 'x' does not exist on
                                          type 'microsoft.graph.t'. Make sure to ..."
  a value of the wrong JSON kind          RequestBodyRead "Cannot convert the literal ..." or
                                          "An unexpected 'StartObject' node was found ..."
  null where the type says Nullable=false RequestBodyRead "A null value was found for ..."
  no member of the enum type              InvalidArguments "Requested value 'x' was not found."
                                          (what Microsoft documents for mailboxSettings)
Enum members match case-insensitively ("Scheduled" is read as scheduled, as Graph does);
`@odata.*` annotations are dropped. The types are those of lab/graph/schema/v1.0-subset.csdl.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from lab.graph.call import Call
from lab.graph.errors import GraphError
from lab.graph.schema import cut
from lab.graph.schema.model import Prop, subset

_TIME_OF_DAY = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$")


def read(call: Call, type_name: str) -> dict[str, object]:
    """The request's JSON object checked against `type_name` (a complex or entity type)."""
    return _object(call.json(), type_name)


def _object(value: dict[str, object], type_name: str) -> dict[str, object]:
    declared = subset().properties(type_name)
    checked: dict[str, object] = {}
    for name, item in value.items():
        if name.startswith("@odata."):
            continue
        prop = declared.get(name)
        if prop is None:
            raise _unreadable(
                f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. "
                "Make sure to only use property names that are defined by the type or mark the "
                "type as open type."
            )
        checked[name] = _property(item, prop)
    return checked


def _property(value: object, prop: Prop) -> object:
    if value is None:
        # OData collections are never null; other values only where the type allows it.
        if prop.nullable and not prop.many:
            return None
        full = _qualified(prop.type)
        raise _unreadable(
            f"A null value was found for the property named '{prop.name}', which has the "
            f"expected type '{full}[Nullable=False]'. The expected type '{full}[Nullable=False]' "
            "does not allow null values."
        )
    if prop.many:
        if not isinstance(value, list):
            raise _node(value, "StartArray")
        return [_single(item, Prop(prop.name, prop.item_type, False)) for item in value]
    return _single(value, prop)


def _single(value: object, prop: Prop) -> object:
    if value is None:
        return _property(value, prop)
    name = cut.local(prop.type)
    if name is None:
        return _primitive(value, prop.type)
    members = subset().members(name)
    if members is not None:
        return _member(value, members, prop.type)
    if name not in subset().types:
        # Graph declares it; the simulator's subset does not, so it cannot check it.
        raise GraphError(400, "BadRequest", f"The simulator does not model '{prop.name}'.")
    if not isinstance(value, dict):
        raise _node(value, "StartObject")
    return _object(value, name)


def _member(value: object, members: tuple[str, ...], type_name: str) -> str:
    if not isinstance(value, str):
        raise _literal(value, _qualified(type_name))
    for member in members:
        if member.lower() == value.strip().lower():
            return member
    raise GraphError(400, "InvalidArguments", f"Requested value '{value}' was not found.")


def _primitive(value: object, edm: str) -> object:
    if isinstance(value, dict | list):
        raise _node(value, "PrimitiveValue")
    fits = {
        "Edm.String": isinstance(value, str),
        "Edm.Boolean": isinstance(value, bool),
        "Edm.Int32": isinstance(value, int)
        and not isinstance(value, bool)
        and -(2**31) <= value < 2**31,
        "Edm.TimeOfDay": isinstance(value, str) and _TIME_OF_DAY.match(value) is not None,
        "Edm.DateTimeOffset": isinstance(value, str) and _offset(value),
        "Edm.Guid": isinstance(value, str) and _guid(value),
    }
    if not fits.get(edm, isinstance(value, str)):
        raise _literal(value, edm)
    return value


def _offset(text: str) -> bool:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _qualified(type_name: str) -> str:
    """graph.x -> microsoft.graph.x, in Collection(...) too, as OData's messages name types."""
    name = cut.local(type_name)
    if name is None:
        return type_name
    full = f"microsoft.graph.{name}"
    return f"Collection({full})" if type_name.startswith("Collection(") else full


def _literal(value: object, edm: str) -> GraphError:
    # .NET writes booleans capitalised in this message.
    text = str(value) if not isinstance(value, bool) else ("True" if value else "False")
    return _unreadable(f"Cannot convert the literal '{text}' to the expected type '{edm}'.")


def _node(value: object, expected: str) -> GraphError:
    found = (
        "StartObject"
        if isinstance(value, dict)
        else "StartArray"
        if isinstance(value, list)
        else "PrimitiveValue"
    )
    return _unreadable(
        f"An unexpected '{found}' node was found when reading from the JSON reader. "
        f"A '{expected}' node was expected."
    )


def _unreadable(message: str) -> GraphError:
    return GraphError(400, "RequestBodyRead", message)
