"""Signatures: only fresh deliveries signed over the raw bytes (and, v2, the Idempotency-Key)
with an active secret are accepted; the legacy v1 only where a source still accepts it."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from pydantic import SecretStr

from runner_api.webhooks.signature import (
    Scheme,
    SignatureError,
    Signed,
    sign_v1,
    sign_v2,
    verify,
)

SECRETS = [SecretStr("current-secret-0123456789"), SecretStr("previous-secret-0123456")]
CURRENT = "current-secret-0123456789"
NOW = 1_800_000_000
KEY = "rt-ticket-42-1001"
BODY = json.dumps(
    {"customer": "lab", "ticket_id": "INC-7", "action": "account_unlock", "params": {}},
    separators=(",", ":"),
).encode()


def check(
    body: bytes, signature: str, timestamp: int, key: str = KEY, accept_v1: bool = False
) -> Signed:
    return verify(
        SECRETS,
        str(timestamp),
        signature,
        key,
        body,
        now=NOW,
        tolerance_s=300,
        accept_v1=accept_v1,
    )


def test_v2_is_the_documented_hmac_of_timestamp_key_and_body() -> None:
    message = f"v2\n{NOW}\n{KEY}\n".encode() + BODY
    expected = "v2=" + hmac.new(CURRENT.encode(), message, hashlib.sha256).hexdigest()
    assert sign_v2(CURRENT, NOW, KEY, BODY) == expected
    assert check(BODY, expected, NOW) == Signed(NOW, Scheme.V2)


def test_a_fresh_signature_of_either_active_secret_is_accepted() -> None:
    for secret in SECRETS:
        check(BODY, sign_v2(secret.get_secret_value(), NOW, KEY, BODY), NOW)
    check(BODY, sign_v2(CURRENT, NOW - 300, KEY, BODY), NOW - 300)
    check(BODY, sign_v2(CURRENT, NOW + 300, KEY, BODY), NOW + 300)


@pytest.mark.parametrize("offset", [-301, 301, -86400, 86400])
def test_stale_and_future_timestamps_are_refused(offset: int) -> None:
    sent = NOW + offset
    with pytest.raises(SignatureError):
        check(BODY, sign_v2(CURRENT, sent, KEY, BODY), sent)


def test_every_one_byte_change_of_body_or_key_is_refused() -> None:
    signature = sign_v2(CURRENT, NOW, KEY, BODY)
    for position in range(len(BODY)):
        tampered = bytearray(BODY)
        tampered[position] ^= 0x01
        with pytest.raises(SignatureError):
            check(bytes(tampered), signature, NOW)
    for position in range(len(KEY)):
        key = KEY[:position] + chr(ord(KEY[position]) ^ 0x01) + KEY[position + 1 :]
        with pytest.raises(SignatureError, match="timestamp, key and body"):
            check(BODY, signature, NOW, key=key)


def test_another_key_is_another_delivery_even_with_the_same_bytes() -> None:
    """The replay of issue 18: one captured delivery, sent again under fresh keys."""
    captured = sign_v2(CURRENT, NOW, KEY, BODY)
    for fresh in ("fresh-key-0001", "fresh-key-0002", KEY + "x", KEY[:-1]):
        with pytest.raises(SignatureError):
            check(BODY, captured, NOW, key=fresh)


def test_parts_move_between_key_and_body_only_with_a_new_signature() -> None:
    """Newlines separate the parts; a key never holds one, so no split signs like another."""
    key, body = "delivery-0001.a", b'b{"x":1}'
    signature = sign_v2(CURRENT, NOW, key, body)
    with pytest.raises(SignatureError):
        check(b'a.b{"x":1}', signature, NOW, key="delivery-0001")


def test_a_signature_over_reserialized_json_is_refused() -> None:
    reserialized = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(SignatureError):
        check(BODY, sign_v2(CURRENT, NOW, KEY, reserialized), NOW)


def test_v1_only_where_the_source_still_accepts_it() -> None:
    legacy = sign_v1(CURRENT, NOW, BODY)
    with pytest.raises(SignatureError, match="accepts only v2"):
        check(BODY, legacy, NOW)
    assert check(BODY, legacy, NOW, accept_v1=True) == Signed(NOW, Scheme.V1)
    # v1 never covered the key: under it any key passes, which is why it is opt-in.
    assert check(BODY, legacy, NOW, key="fresh-key-0001", accept_v1=True).scheme is Scheme.V1
    with pytest.raises(SignatureError):
        check(BODY[:-1] + b" ", legacy, NOW, accept_v1=True)
    # A source that accepts v1 still takes v2.
    assert check(BODY, sign_v2(CURRENT, NOW, KEY, BODY), NOW, accept_v1=True).scheme is Scheme.V2


@pytest.mark.parametrize(
    ("signature", "timestamp"),
    [
        ("", str(NOW)),
        ("v2=" + "0" * 64, str(NOW)),
        ("v3=" + sign_v2(CURRENT, NOW, KEY, BODY)[3:], str(NOW)),
        (sign_v2(CURRENT, NOW, KEY, BODY)[3:], str(NOW)),
        (sign_v2("retired-secret-00000000000", NOW, KEY, BODY), str(NOW)),
        (sign_v2(CURRENT, NOW, KEY, BODY), "yesterday"),
        (sign_v2(CURRENT, NOW, KEY, BODY), None),
    ],
)
def test_wrong_missing_or_malformed_is_refused(signature: str, timestamp: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(SECRETS, timestamp, signature, KEY, BODY, now=NOW, tolerance_s=300)


def test_a_source_without_secrets_accepts_nothing() -> None:
    with pytest.raises(SignatureError):
        verify([], str(NOW), sign_v2("", NOW, KEY, BODY), KEY, BODY, now=NOW, tolerance_s=300)
