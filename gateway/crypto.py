"""Envelope encryption for the vault (AES-256-GCM) and keyed fingerprints.

Each sealed value has its own random data key (DEK). The value is encrypted under the
DEK; the DEK is wrapped under a key-encryption key (KEK) from settings.VAULT_KEYS.
Rotation adds a new KEK in front and re-wraps every DEK (`manage.py rotate_keys`):
the bulk ciphertext does not change, and a value re-wrapped under the new KEK no longer
opens with the old one. Only the first (current) KEK encrypts; the others only open.

`aad` binds a ciphertext to its row (for example the payment method id), so a
ciphertext copied onto another row does not open.

Sealed layout: b"v1" | len(kid) | kid | wrap nonce (12) | wrapped DEK (48) | nonce (12)
| ciphertext with tag.
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"v1"
NONCE = 12
WRAPPED_DEK = 32 + 16


class VaultError(Exception):
    """A sealed value that cannot be opened (unknown key, tampering, wrong row)."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]

    @classmethod
    def from_setting(cls, value: str) -> "KeyRing":
        """`kid:base64key,kid:base64key`, the current key first."""
        keys = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            kid, _, encoded = item.partition(":")
            key = base64.b64decode(encoded)
            if len(key) != 32 or not kid:
                raise ValueError("each VAULT_KEYS entry is kid:base64 of 32 bytes")
            if kid in keys:  # which one would open its values?
                raise ValueError(f"VAULT_KEYS names the key id {kid} twice")
            keys[kid] = key
        if not keys:
            raise ValueError("VAULT_KEYS is empty")
        return cls(current_id=next(iter(keys)), keys=keys)


def generate_key_setting(kid: str) -> str:
    """One fresh `kid:base64key` entry, for VAULT_KEYS."""
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def keyring() -> KeyRing:
    return KeyRing.from_setting(settings.VAULT_KEYS)


def _split(blob: bytes) -> tuple[str, bytes, bytes, bytes, bytes]:
    if blob[:2] != VERSION or len(blob) < 3:
        raise VaultError("not a sealed value")
    kid_length = blob[2]
    kid = blob[3 : 3 + kid_length].decode()
    rest = blob[3 + kid_length :]
    wrap_nonce, wrapped = rest[:NONCE], rest[NONCE : NONCE + WRAPPED_DEK]
    nonce, ciphertext = (
        rest[NONCE + WRAPPED_DEK : 2 * NONCE + WRAPPED_DEK],
        rest[2 * NONCE + WRAPPED_DEK :],
    )
    return kid, wrap_nonce, wrapped, nonce, ciphertext


def _join(kid: str, wrap_nonce: bytes, wrapped: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    kid_bytes = kid.encode()
    return VERSION + bytes([len(kid_bytes)]) + kid_bytes + wrap_nonce + wrapped + nonce + ciphertext


def _wrap(ring: KeyRing, dek: bytes) -> tuple[str, bytes, bytes]:
    kid = ring.current_id
    wrap_nonce = os.urandom(NONCE)
    return kid, wrap_nonce, AESGCM(ring.keys[kid]).encrypt(wrap_nonce, dek, kid.encode())


def _unwrap(ring: KeyRing, kid: str, wrap_nonce: bytes, wrapped: bytes) -> bytes:
    kek = ring.keys.get(kid)
    if kek is None:
        raise VaultError(f"unknown vault key {kid!r}")
    try:
        return AESGCM(kek).decrypt(wrap_nonce, wrapped, kid.encode())
    except Exception as exc:
        raise VaultError("data key does not unwrap") from exc


def seal(plaintext: bytes, *, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE)
    ciphertext = AESGCM(dek).encrypt(nonce, plaintext, aad)
    return _join(*_wrap(ring, dek), nonce, ciphertext)


def unseal(blob: bytes, *, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    kid, wrap_nonce, wrapped, nonce, ciphertext = _split(bytes(blob))
    dek = _unwrap(ring, kid, wrap_nonce, wrapped)
    try:
        return AESGCM(dek).decrypt(nonce, ciphertext, aad)
    except Exception as exc:
        raise VaultError("ciphertext does not open (tampered, or another row's)") from exc


def key_id(blob: bytes) -> str:
    return _split(bytes(blob))[0]


def rewrap(blob: bytes, *, ring: KeyRing | None = None) -> bytes:
    """The same value with its data key wrapped under the current KEK (idempotent)."""
    ring = ring or keyring()
    kid, wrap_nonce, wrapped, nonce, ciphertext = _split(bytes(blob))
    if kid == ring.current_id:
        return bytes(blob)
    dek = _unwrap(ring, kid, wrap_nonce, wrapped)
    return _join(*_wrap(ring, dek), nonce, ciphertext)


def fingerprint(value: str, *, scope: str) -> str:
    """HMAC-SHA256 of `value` under FINGERPRINT_KEY, separated by `scope`.

    Keyed so that knowing BIN and last four digits does not let anyone brute-force the
    PAN from a fingerprint; scoped (a merchant id) so merchants cannot correlate cards.
    """
    key = hashlib.sha256(f"{settings.FINGERPRINT_KEY}|{scope}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
