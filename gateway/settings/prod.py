"""Production: everything from the environment; refuse to start without secrets."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
API_KEY_HASH_SECRET = env("API_KEY_HASH_SECRET")
VAULT_KEYS = env("VAULT_KEYS")
FINGERPRINT_KEY = env("FINGERPRINT_KEY")
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
