"""A run's extra vars as Ansible gets them: plain JSON, every string marked unsafe.

ansible-runner writes extra vars to env/extravars (JSON) and passes `-e @env/extravars`;
ansible-core 2.19 loads such a file with trusted_as_template=True, so any string in it is a
template it renders when a play reads it: a parameter, ticket id or allow-list entry of
`{{ lookup('pipe', 'id') }}` would run on this machine. Its loader reads the JSON object
{"__ansible_unsafe": text} as text that is never trusted (the JSON form of YAML's `!unsafe`,
ansible/_internal/_json/_profiles/_legacy.py; earlier cores read it as AnsibleUnsafeText).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import SecretStr

from runner_api.errors import ExecutorError

UNSAFE_KEY = "__ansible_unsafe"


def plain(value: Any) -> Any:
    """Params as JSON-able values for extravars; a secret is never one of them."""
    if isinstance(value, SecretStr):
        # Only top-level parameters are served as secrets; a nested one would go in clear.
        raise ExecutorError("a secret nested inside a parameter cannot be handed to a playbook")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def unsafe(value: Any) -> Any:
    """A JSON value of `plain` with every string, however deep, marked unsafe."""
    if isinstance(value, str):
        return {UNSAFE_KEY: value}
    if isinstance(value, dict):
        # Keys stay as they are: the loader only unwraps values, and 2.19 renders no keys.
        return {key: unsafe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unsafe(item) for item in value]
    return value
