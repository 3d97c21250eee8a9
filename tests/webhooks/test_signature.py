"""W1: only fresh deliveries signed over the raw bytes with an active secret are accepted."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from runner_api.webhooks.signature import SignatureError, sign, verify

SECRETS = [SecretStr("current-secret-0123456789"), SecretStr("previous-secret-0123456")]
NOW = 1_800_000_000
BODY = json.dumps(
    {"customer": "lab", "ticket_id": "INC-7", "action": "account_unlock", "params": {}},
    separators=(",", ":"),
).encode()


def check(body: bytes, signature: str, timestamp: int, now: int = NOW) -> None:
    verify(SECRETS, str(timestamp), signature, body, now=now, tolerance_s=300)


def test_a_fresh_signature_of_either_active_secret_is_accepted() -> None:
    for secret in SECRETS:
        check(BODY, sign(secret.get_secret_value(), NOW, BODY), NOW)
    check(BODY, sign("current-secret-0123456789", NOW - 300, BODY), NOW - 300)
    check(BODY, sign("current-secret-0123456789", NOW + 300, BODY), NOW + 300)


@pytest.mark.parametrize("offset", [-301, 301, -86400, 86400])
def test_stale_and_future_timestamps_are_refused(offset: int) -> None:
    sent = NOW + offset
    with pytest.raises(SignatureError):
        check(BODY, sign("current-secret-0123456789", sent, BODY), sent)


def test_every_one_byte_change_is_refused() -> None:
    signature = sign("current-secret-0123456789", NOW, BODY)
    refused = 0
    for position in range(len(BODY)):
        tampered = bytearray(BODY)
        tampered[position] ^= 0x01
        with pytest.raises(SignatureError):
            check(bytes(tampered), signature, NOW)
        refused += 1
    assert refused == len(BODY)


def test_a_signature_over_reserialized_json_is_refused() -> None:
    reserialized = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(SignatureError):
        check(BODY, sign("current-secret-0123456789", NOW, reserialized), NOW)


@pytest.mark.parametrize(
    ("signature", "timestamp"),
    [
        ("", str(NOW)),
        ("sha256=" + "0" * 64, str(NOW)),
        (sign("retired-secret-00000000000", NOW, BODY), str(NOW)),
        (sign("current-secret-0123456789", NOW, BODY), "yesterday"),
        (sign("current-secret-0123456789", NOW, BODY), None),
    ],
)
def test_wrong_missing_or_malformed_is_refused(signature: str, timestamp: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(SECRETS, timestamp, signature, BODY, now=NOW, tolerance_s=300)


def test_a_source_without_secrets_accepts_nothing() -> None:
    with pytest.raises(SignatureError):
        verify([], str(NOW), sign("", NOW, BODY), BODY, now=NOW, tolerance_s=300)
