"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is `whsec_` + base64 of 32 random bytes; the HMAC key is those bytes. Each
delivery carries `webhook-id` (the event id, the same on every retry),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`: a
space-separated list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
secret in use (two during the 24 hours after a rotation). `verify` is what a receiver
runs; the tests also check every delivery with an independent implementation.
"""

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix, not a secret
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """A webhook that must be rejected: missing headers, stale, or not signed by us."""


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("not a webhook secret") from exc


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature."""
    digest = _digest(_key(secret), msg_id, timestamp, body)
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets: Iterable[str], *, msg_id: str, timestamp: int, body: bytes) -> dict:
    """The three Standard Webhooks headers, signed with every secret given."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets
        ),
    }


def verify(
    secret: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless one `v1` signature matches and the timestamp is fresh."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureError("webhook-timestamp is not Unix seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = _digest(_key(secret), msg_id, int(timestamp), body)
    for candidate in signatures.split(" "):
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):
            return
    raise SignatureError("no valid v1 signature")
