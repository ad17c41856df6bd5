"""Test settings: the database and Redis come from the environment when set."""

import os
import secrets

from gateway.crypto import generate_key_setting

from .base import *  # noqa: F403
from .base import DATABASES, STATIC_ROOT, VAR_DIR, env

# Throwaway secrets generated afresh for each test run; processes the tests start (a
# Celery worker, a web server) receive them through the environment.
SECRET_KEY = env("SECRET_KEY", default="") or secrets.token_urlsafe(48)
API_KEY_HASH_SECRET = env("API_KEY_HASH_SECRET", default="") or secrets.token_urlsafe(48)
VAULT_KEYS = env("VAULT_KEYS", default="") or generate_key_setting("test1")
FINGERPRINT_KEY = env("FINGERPRINT_KEY", default="") or secrets.token_urlsafe(48)
DEBUG = False
PROVIDER_ALLOW_API_BASE = True  # adapters talk to localstripe and stubs on loopback
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# Tests run their webhook receivers on 127.0.0.1; the SSRF tests turn this off.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=True)
LOGGING["root"]["level"] = "DEBUG"  # noqa: F405 - tests prove redaction at DEBUG
LOGGING["loggers"]["faker"] = {"level": "INFO"}  # noqa: F405 - the schema fuzz's test data
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so tests can close and reopen connections and threads share it.
    # One file per test process, so parallel runs in one checkout do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# The reports router runs in tests too: `reports` is a second connection to the test
# database, as a read replica would be (tests that read through it need transaction=True).
DATABASES.setdefault("reports", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it
