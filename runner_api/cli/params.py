"""How `fixline run --param` turns `KEY=VALUE` pairs into an action's parameters.

The rule, also in `fixline run --help` (PARAMS_HELP):
- a dotted KEY sets a field of an object: `caller_verification.method=callback`;
- VALUE is text, except where the action's schema expects an object or a list at KEY:
  there it is JSON (`caller_verification={"method": "callback"}`, `members=["a", "b"]`);
- the schema converts text where it expects a number, a boolean or a date (`unlock=true`,
  `within_days=30`); where it expects text, `1` stays the text "1";
- a key given twice, or given whole and by its parts, is an error (nothing is merged).
"""

from __future__ import annotations

import json
from typing import Any

PARAMS_HELP = (
    "Parameter KEY=VALUE (repeat). A dotted KEY sets a field of an object "
    "(caller_verification.method=callback). VALUE is text, except where the action's "
    "schema (`fixline actions`) expects an object or a list: there it is JSON "
    """(caller_verification='{"method": "callback"}'). Numbers, booleans and dates are """
    "converted where the schema expects them (unlock=true); where it expects text, 1 stays "
    "text. A key given twice, or whole and by its parts, is an error."
)


class ParamsError(ValueError):
    """A --param that cannot be read; the message names it."""


def parse_params(pairs: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    """The parameters the pairs describe, read by the rule above against a JSON schema."""
    params: dict[str, Any] = {}
    # Where each key was set, to name both sides of a conflict.
    given: dict[tuple[str, ...], str] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        path = tuple(part.strip() for part in key.split("."))
        if not sep or not all(path):
            raise ParamsError(f"--param takes KEY=VALUE (KEY may be dotted), got {pair!r}")
        for known, where in given.items():
            if known[: len(path)] == path or path[: len(known)] == known:
                shared = ".".join(known if len(known) < len(path) else path)
                raise ParamsError(
                    f"--param {pair!r} conflicts with --param {where!r}: give {shared} "
                    "once, either whole or by its parts"
                )
        given[path] = pair
        value: Any = text
        if _wants_json(schema, path):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ParamsError(
                    f"--param {pair!r}: {'.'.join(path)} is an object or a list, so its "
                    f"value is JSON ({exc.args[0]}); or set its fields one by one "
                    f"({'.'.join(path)}.FIELD=VALUE)"
                ) from None
        node = params
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return params


def _wants_json(schema: dict[str, Any], path: tuple[str, ...]) -> bool:
    """Whether the schema expects an object or a list (and nothing else but null) at path."""
    definitions = schema.get("$defs", {})
    node: dict[str, Any] | None = schema
    for part in path:
        node = _resolve(_resolve(node, definitions).get("properties", {}).get(part), definitions)
        if not node:
            return False  # not in the schema: text, and the schema names the unknown field
    types = {
        _resolve(choice, definitions).get("type") for choice in (node or {}).get("anyOf", [node])
    } - {"null"}
    return bool(types) and types <= {"object", "array"}


def _resolve(node: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """The node itself, or the definition its `$ref` (or single `allOf`) points to."""
    if not isinstance(node, dict):
        return {}
    if "allOf" in node and len(node["allOf"]) == 1:
        node = node["allOf"][0]
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = definitions.get(ref.rsplit("/", 1)[-1], {})
    return node if isinstance(node, dict) else {}
