"""Temporary passwords: drawn by the server with `secrets`, never chosen by an agent."""

from __future__ import annotations

import math
import secrets
import string
from collections.abc import Iterable

# Look-alikes (I/l/1, O/0/o) left out: the password is read to a caller over the phone.
UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
DIGITS = "23456789"
SYMBOLS = "!#%+-=?@"
CLASSES = (UPPER, LOWER, DIGITS, SYMBOLS)
ALPHABET = "".join(CLASSES)
LENGTH = 18
# AD complexity rejects a password holding the account name or a display-name token of 3+.
_MIN_TOKEN = 3


def entropy_bits(length: int = LENGTH) -> float:
    """log2 of how many passwords `generate` can return (all four classes present)."""
    # Inclusion-exclusion over the classes that could be missing.
    total = 0
    n = len(CLASSES)
    for mask in range(1 << n):
        missing = [CLASSES[i] for i in range(n) if mask >> i & 1]
        size = len(ALPHABET) - sum(len(c) for c in missing)
        total += (-1) ** len(missing) * size**length
    return math.log2(total)


def _tokens(avoid: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in avoid:
        for part in text.replace(",", " ").replace(".", " ").replace("-", " ").split():
            if len(part) >= _MIN_TOKEN:
                found.append(part.lower())
    return found


def acceptable(candidate: str, avoid: Iterable[str] = ()) -> bool:
    """True if it has all four classes and none of the `avoid` tokens (case-insensitive)."""
    if not all(any(c in cls for c in candidate) for cls in CLASSES):
        return False
    lowered = candidate.lower()
    return not any(token in lowered for token in _tokens(avoid))


def generate(avoid: Iterable[str] = (), length: int = LENGTH) -> str:
    """A random password with all four character classes and none of the `avoid` tokens."""
    avoid = list(avoid)
    while True:  # rejection sampling keeps the draw uniform over the acceptable passwords
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if acceptable(candidate, avoid):
            return candidate
