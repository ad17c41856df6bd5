"""API key format, generation and verification (no ORM here).

A key is `{sk|pk}_{test|live}_` followed by 32 random base62 characters. The first
LOOKUP_CHARS of the random part are stored in clear as the lookup prefix; the whole
key is stored only as HMAC-SHA256 under the server's API_KEY_HASH_SECRET.
"""

import hashlib
import hmac
import re
import secrets
import string

from django.conf import settings

from merchants.enums import ApiKeyKind

RANDOM_CHARS = 32
LOOKUP_CHARS = 10
_ALPHABET = string.ascii_letters + string.digits
_KEY_PATTERN = re.compile(rf"^(sk|pk)_(test|live)_[A-Za-z0-9]{{{RANDOM_CHARS}}}$")
_TYPE_PREFIX = {ApiKeyKind.SECRET: "sk", ApiKeyKind.PUBLISHABLE: "pk"}


def generate(kind: str, *, livemode: bool) -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{_TYPE_PREFIX[kind]}_{'live' if livemode else 'test'}_{body}"


def is_well_formed(key: str) -> bool:
    return bool(_KEY_PATTERN.match(key))


def lookup_prefix(key: str) -> str:
    """The non-secret part that finds a key's row: `sk_test_` + 10 characters."""
    return key[: len("sk_test_") + LOOKUP_CHARS]


def key_hash(key: str) -> str:
    secret = settings.API_KEY_HASH_SECRET.encode()
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def hash_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(key), stored_hash)
