"""HMAC-SHA256 signatures of deliveries, a 300 s window, two secrets during rotation.

v2 (what Fixline's senders send): `X-Fixline-Signature: v2=<hex>`, the HMAC of
"v2\\n<timestamp>\\n<Idempotency-Key>\\n<raw body>". The key is signed, so a captured
delivery cannot be sent again under a fresh key; newlines separate the parts because no
timestamp or key contains one (a "." would: "a.b" + "c" and "a" + "b.c" would sign alike).
v1 (before): `sha256=<hex>` of "<timestamp>.<raw body>", key unsigned; accepted only from a
source configured to (`accept_v1_signatures`), and recorded as such on the delivery.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr

from runner_api.auth.errors import AuthenticationError

TIMESTAMP_HEADER = "X-Fixline-Timestamp"
SIGNATURE_HEADER = "X-Fixline-Signature"


class Scheme(StrEnum):
    """A signature scheme, by the stored text of webhook_deliveries.scheme."""

    V2 = "v2"
    V1 = "v1"


_PREFIX = {Scheme.V2: "v2=", Scheme.V1: "sha256="}


class SignatureError(AuthenticationError):
    """The delivery is not provably from the source, or not from now: answered 401."""

    code = "bad_signature"


@dataclass(frozen=True)
class Signed:
    """What a valid signature vouches for: when the delivery was sent, and by which scheme."""

    sent_at: int
    scheme: Scheme


def sign_v2(secret: str, timestamp: int, key: str, body: bytes) -> str:
    """The X-Fixline-Signature of a delivery: its timestamp, Idempotency-Key and raw body."""
    message = f"v2\n{timestamp}\n{key}\n".encode() + body
    return _PREFIX[Scheme.V2] + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_v1(secret: str, timestamp: int, body: bytes) -> str:
    """The legacy signature (no key): still what ticket callbacks carry (tickets/systems.py)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _PREFIX[Scheme.V1] + mac.hexdigest()


def verify(
    secrets: Sequence[SecretStr],
    timestamp: str | None,
    signature: str | None,
    key: str,
    body: bytes,
    *,
    now: float,
    tolerance_s: int,
    accept_v1: bool = False,
) -> Signed:
    """Accept only a fresh timestamp and a signature of one active secret over the raw bytes
    (and the key, v2); v1 only when accept_v1."""
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
    scheme = _scheme_of(signature.strip(), accept_v1)
    expected = [
        sign_v2(s.get_secret_value(), sent, key, body)
        if scheme is Scheme.V2
        else sign_v1(s.get_secret_value(), sent, body)
        for s in secrets
    ]
    # Every secret is compared (no early exit), each in constant time.
    if not any([hmac.compare_digest(given, e.encode()) for e in expected]):
        what = "key and body" if scheme is Scheme.V2 else "body"
        raise SignatureError(f"the signature does not match the timestamp, {what}")
    return Signed(sent, scheme)


def _scheme_of(signature: str, accept_v1: bool) -> Scheme:
    if signature.startswith(_PREFIX[Scheme.V2]):
        return Scheme.V2
    if signature.startswith(_PREFIX[Scheme.V1]):
        if accept_v1:
            return Scheme.V1
        raise SignatureError(
            "this source accepts only v2 signatures: X-Fixline-Signature: v2=<hex HMAC-SHA256 "
            'of "v2\\n<timestamp>\\n<Idempotency-Key>\\n<raw body>">'
        )
    raise SignatureError("the signature is neither v2=<hex> nor a legacy sha256=<hex>")
