"""Local development: the embedded default, with a secret generated on first run."""

import secrets

from gateway.crypto import generate_key_setting

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
# Local receivers (http://localhost:PORT/...) for test-mode endpoints.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=True)


def _local_secret(name: str, make=lambda: secrets.token_urlsafe(48)) -> str:
    """Read a per-checkout secret from var/, creating it once; never committed."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="") or _local_secret("secret_key")
API_KEY_HASH_SECRET = env("API_KEY_HASH_SECRET", default=SECRET_KEY)
VAULT_KEYS = env("VAULT_KEYS", default="") or _local_secret(
    "vault_keys", lambda: generate_key_setting("dev1")
)
FINGERPRINT_KEY = env("FINGERPRINT_KEY", default="") or _local_secret("fingerprint_key")
