"""Test settings: the database and Redis come from the environment when set."""

from .base import *  # noqa: F403
from .base import DATABASES, STATIC_ROOT, VAR_DIR, env

# Throwaway values generated for the test run only.
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
API_KEY_HASH_SECRET = "test-only-api-key-hash-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING["root"]["level"] = "DEBUG"  # noqa: F405 - tests prove redaction at DEBUG
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so tests can close and reopen connections and threads share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it
