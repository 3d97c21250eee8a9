"""One redactor per run: it knows every secret value of the run and scrubs text and data.

Known values are matched in their plain form and in the encodings they typically take on
the way to a log or event: base64, URL-encoding, JSON string escaping and repr().
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

MASK = "********"
# Very short values would mask ordinary words; such "secrets" are refused at validation.
MIN_SECRET_LENGTH = 4


def _variants(value: str) -> set[str]:
    raw = value.encode()
    forms = {
        value,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces every known secret value (and its common encodings) with a mask."""

    def __init__(self, secrets: Iterable[str | SecretStr] = ()) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | SecretStr) -> None:
        """Learn one more secret value."""
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if len(value) < MIN_SECRET_LENGTH:
            return
        self._forms |= _variants(value)
        # Longest first, so a value is masked whole before any shorter form inside it.
        ordered = sorted(self._forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, value: str) -> str:
        """Scrub one string."""
        if self._pattern is None:
            return value
        return self._pattern.sub(MASK, value)

    def data(self, value: Any) -> Any:
        """Scrub a JSON-like structure (dicts, lists, strings), keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        if isinstance(value, SecretStr):
            return MASK
        return value
