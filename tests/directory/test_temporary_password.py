"""Temporary passwords: random, complex, long, never holding the account's name."""

from __future__ import annotations

import math
import re

from runner_api.directory import temporary_password

# AD complexity: at least 3 of upper, lower, digit, symbol; we promise all 4.
CLASS_PATTERNS = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")
SAMPLES = 20_000


def test_entropy_is_at_least_80_bits() -> None:
    bits = temporary_password.entropy_bits()
    assert bits >= 80
    # The four-class rule costs under one bit against a free draw of the same length.
    assert temporary_password.LENGTH * math.log2(len(temporary_password.ALPHABET)) - bits < 1


def test_many_samples_are_complex_unique_and_policy_sized() -> None:
    seen = {temporary_password.generate() for _ in range(SAMPLES)}
    assert len(seen) == SAMPLES
    for password in seen:
        assert 16 <= len(password) <= 20
        assert all(re.search(p, password) for p in CLASS_PATTERNS)
        assert set(password) <= set(temporary_password.ALPHABET)


def test_every_alphabet_character_is_drawn() -> None:
    drawn = "".join(temporary_password.generate() for _ in range(2_000))
    assert set(drawn) == set(temporary_password.ALPHABET)


def test_avoids_account_and_display_name_tokens() -> None:
    # A 3-letter name would appear by chance in about 1 of 2,500 draws without the rule.
    for _ in range(5_000):
        password = temporary_password.generate(["abc", "Jane Doe-Xyz"])
        lowered = password.lower()
        assert "abc" not in lowered and "jane" not in lowered
        assert "xyz" not in lowered and "doe" not in lowered
    assert not temporary_password.acceptable("Abc#2defghijkmnpqr", ["abc"])
    assert not temporary_password.acceptable("abcdefghijkmnpqrst", [])
