"""HMAC-SHA256 over "<timestamp>.<raw body>", a 300 s window, two secrets during rotation (W1)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from pydantic import SecretStr

from runner_api.auth.errors import AuthenticationError

TIMESTAMP_HEADER = "X-Fixline-Timestamp"
SIGNATURE_HEADER = "X-Fixline-Signature"
_PREFIX = "sha256="


class SignatureError(AuthenticationError):
    """The delivery is not provably from the source, or not from now: answered 401."""

    code = "bad_signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Fixline-Signature value of a body sent at timestamp (senders and tests)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def verify(
    secrets: Sequence[SecretStr],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    tolerance_s: int,
) -> None:
    """Accept only a fresh timestamp and a signature of one active secret over the raw bytes."""
    if not secrets:
        raise SignatureError("this source has no secret configured: nothing is accepted")
    if not timestamp or not signature:
        raise SignatureError(f"send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if abs(now - sent) > tolerance_s:
        # A captured delivery replayed later must not start a fix again.
        raise SignatureError(f"the timestamp is more than {tolerance_s} s away from now")
    given = signature.strip().encode()
    # Every secret is compared (no early exit), each in constant time.
    matches = [
        hmac.compare_digest(given, sign(s.get_secret_value(), sent, body).encode()) for s in secrets
    ]
    if not any(matches):
        raise SignatureError("the signature does not match the body")
