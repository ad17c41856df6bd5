"""Settings shared by every environment; each value comes from the environment.

With no environment at all the gateway runs embedded: SQLite in WAL mode and
Celery's filesystem transport, so `make run` needs no server. `DATABASE_URL`
and `REDIS_URL` (or `CELERY_BROKER_URL`) switch to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from gateway.logging import json_console

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


class Env(environ.Env):
    """django-environ's reader, whose parse errors name the variable (a bare
    `invalid literal for int()` leaves the operator guessing which one)."""

    @classmethod
    def parse_value(cls, value, cast):
        """As django-environ's, but a true/false setting takes only the words it knows
        (`DEBUG=maybe` read as false would be a silent surprise)."""
        known = {*cls.BOOLEAN_TRUE_STRINGS, "false", "off", "n", "no", "0", ""}
        if cast is bool and isinstance(value, str) and value.strip().lower() not in known:
            raise ValueError(f"{value!r} is not true or false")
        return super().parse_value(value, cast)

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError as exc:
            kind = getattr(cast, "__name__", "a list of values separated by commas")
            raise ImproperlyConfigured(f"{var} must be {kind}: {exc}") from None


def require_at_least(minimum: float, *names: str) -> None:
    """Stop the start when one of these settings (already read) is below `minimum`."""
    for name in names:
        if globals()[name] < minimum:
            raise ImproperlyConfigured(f"{name} must be {minimum} or more")


env = Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "gateway",
    "merchants",
    "simulator",
    "fraud",
    "payments",
    "webhooks",
]

MIDDLEWARE = [
    "gateway.middleware.RequestIdMiddleware",
    "gateway.middleware.ApiNoStoreMiddleware",
    "gateway.middleware.ApiHostMiddleware",
    "gateway.middleware.NulCharacterMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "gateway.middleware.BodySizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gateway.admin_search.AdminSearchRedactionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "gateway.urls"
WSGI_APPLICATION = "gateway.wsgi.application"
APPEND_SLASH = False

# The API answers pages of any origin, as Stripe's does: a key travels in the
# Authorization header, never in a cookie, so a page can only use a key it holds (a
# merchant's checkout, its publishable key). Nothing else is shared across origins.
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/v1/"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key"]
CORS_EXPOSE_HEADERS = ["Request-Id", "Idempotency-Key", "Idempotent-Replayed"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite (embedded default) takes its write lock at BEGIN so concurrent writers queue
# instead of failing with "database is locked" half-way through a transaction.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # A checkpoint (the one fsync of WAL with synchronous=NORMAL) every ~40 MB of log
    # rather than every 4 MB, so a tenth as many requests pay for one.
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;"
    ),
}
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'gateway.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "gateway.postgresql"  # no LIKE-only twin indexes
    # A new connection per request costs about 4x the throughput: keep them.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, and a statement a connection has run 5 times
    # prepared (Django turns psycopg's preparing off unless told): PostgreSQL then plans
    # each of a payment's statements once per connection instead of once per request.
    # A pooler in transaction mode (PgBouncer before 1.21) would need both off.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Reports (the admin's dashboard) read from a PostgreSQL read replica when one is set;
# everything else stays on the primary (gateway.routers).
if env("REPORTS_DATABASE_URL", default=""):
    DATABASES["reports"] = {
        **env.db("REPORTS_DATABASE_URL"),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "OPTIONS": DATABASES["default"].get("OPTIONS", {}),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["gateway.routers.ReportsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "gateway.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Requests per second per API key; 0 disables the limit.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=100)
# Request bodies above this many bytes get a JSON 413.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
if API_RATE_LIMIT < 0:
    raise ImproperlyConfigured("API_RATE_LIMIT must be 0 (no limit) or a positive integer")
if API_MAX_BODY_BYTES < 1:
    raise ImproperlyConfigured("API_MAX_BODY_BYTES must be a positive integer")

# Proxies (TLS terminator, load balancer) in front of the app, each adding itself to
# X-Forwarded-For: the client's address is read from there (gateway.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
require_at_least(0, "TRUSTED_PROXY_COUNT")

# --- Idempotency ----------------------------------------------------------------------
# Seconds after which an Idempotency-Key still held by a request that never finished
# (a killed process) may be taken over by a retry. Longer than any request runs.
IDEMPOTENCY_LOCK_TIMEOUT = env.int("IDEMPOTENCY_LOCK_TIMEOUT", default=60)

# --- API keys -------------------------------------------------------------------------
# Server secret for the keyed hash of API keys. Rotating it invalidates every key.
API_KEY_HASH_SECRET = env("API_KEY_HASH_SECRET", default=SECRET_KEY)

# --- Payments -------------------------------------------------------------------------
# Where cardholders reach hosted pages (3-D Secure challenge, checkout, receipts).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Days an authorization can be captured; after that a beat task cancels it.
AUTHORIZATION_WINDOW_DAYS = env.int("AUTHORIZATION_WINDOW_DAYS", default=7)
# Largest refund (minor units) the `support` group may issue from the admin.
SUPPORT_REFUND_LIMIT_MINOR = env.int("SUPPORT_REFUND_LIMIT_MINOR", default=50_000)
# Seconds a provider operation may stay without an answer before the resolver asks.
PROVIDER_OPERATION_RESOLVE_AFTER = env.int("PROVIDER_OPERATION_RESOLVE_AFTER", default=30)
# Seconds after which an operation its provider shows was never carried out is failed
# instead of sent again: under a day, as Stripe answers a resend with a stored 5xx.
PROVIDER_OPERATION_GIVE_UP_AFTER = env.int("PROVIDER_OPERATION_GIVE_UP_AFTER", default=6 * 3600)
# Seconds a 3-D Secure challenge may stay unanswered before the payment is canceled.
THREE_D_SECURE_TIMEOUT = env.int("THREE_D_SECURE_TIMEOUT", default=30 * 60)
require_at_least(
    1, "IDEMPOTENCY_LOCK_TIMEOUT", "AUTHORIZATION_WINDOW_DAYS", "THREE_D_SECURE_TIMEOUT"
)
require_at_least(0, "SUPPORT_REFUND_LIMIT_MINOR", "PROVIDER_OPERATION_RESOLVE_AFTER")
if not PROVIDER_OPERATION_RESOLVE_AFTER + 300 < PROVIDER_OPERATION_GIVE_UP_AFTER < 24 * 3600:
    raise ImproperlyConfigured(
        "PROVIDER_OPERATION_GIVE_UP_AFTER must exceed PROVIDER_OPERATION_RESOLVE_AFTER by more "
        "than 300 seconds (no call may still be on its way) and stay under a day (86400)"
    )
if not PUBLIC_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be an http:// or https:// URL")

# --- Upstream providers (Stripe, PayPal) ----------------------------------------------
# Seconds to connect to, and then to wait for an answer from, a provider on every call.
# At most 10: a request holding a worker longer than that is worse than an unknown
# outcome, which the resolver settles by asking the provider.
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=3.0)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=10.0)
for _name in ("PROVIDER_CONNECT_TIMEOUT", "PROVIDER_READ_TIMEOUT"):
    if not 0 < globals()[_name] <= 10:
        raise ImproperlyConfigured(f"{_name} must be more than 0 and at most 10 seconds")
# Retries the stripe SDK makes itself, with our idempotency key, after a connection
# failure, a 409 or a 5xx (never after a read timeout: the resolver handles those).
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# Seconds a Stripe webhook's signed timestamp may differ from our clock (replay window).
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
# Accept `api_base` (a provider URL override) on provider accounts: tests and demos only.
PROVIDER_ALLOW_API_BASE = env.bool("PROVIDER_ALLOW_API_BASE", default=False)
# Circuit breaker per provider account: this many failures (timeouts, refused
# connections, 5xx, 429) within the window open it; routing then skips the account
# for the cool-down, after which one request probes it.
PROVIDER_BREAKER_FAILURES = env.int("PROVIDER_BREAKER_FAILURES", default=5)
PROVIDER_BREAKER_WINDOW = env.int("PROVIDER_BREAKER_WINDOW", default=60)
PROVIDER_BREAKER_COOLDOWN = env.int("PROVIDER_BREAKER_COOLDOWN", default=30)
require_at_least(0, "STRIPE_MAX_NETWORK_RETRIES")
require_at_least(
    1,
    "STRIPE_WEBHOOK_TOLERANCE",
    "PROVIDER_BREAKER_FAILURES",
    "PROVIDER_BREAKER_WINDOW",
    "PROVIDER_BREAKER_COOLDOWN",
)

# --- Vault ----------------------------------------------------------------------------
# Key-encryption keys, `kid:base64(32 bytes)` comma-separated, the current one first;
# older ones stay only to open what `manage.py rotate_keys` has not re-wrapped yet.
VAULT_KEYS = env("VAULT_KEYS", default="")
# Secret of the keyed card fingerprints (per merchant, and the internal global one).
FINGERPRINT_KEY = env("FINGERPRINT_KEY", default="")

# --- Celery ---------------------------------------------------------------------------
# The filesystem transport ignores the host; naming one spares a warning per message.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker is a folder every process (web, worker, beat) shares.
    (CELERY_BROKER_DIR / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        # Its exchange tables; kombu's default is a `control` folder in the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task, so a task taken by a dying worker comes back.
        "visibility_timeout": 3600,
        # A broker that takes the connection but never answers must not hold a request
        # after its commit (an outbox message is only an announcement: the sweeper
        # delivers what one fails to send).
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# Workers and beat log through LOGGING below (JSON lines, redacted), not Celery's text.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "gateway.beat:SeedingDatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ROUTES = {
    "payments.tasks.*": {"queue": "payments"},
    "webhooks.tasks.*": {"queue": "webhooks"},
}
# Periodic jobs: beat copies those missing into its tables, where the admin edits them.
CELERY_BEAT_SCHEDULE = {
    "idempotency-keys-purge": {
        "task": "gateway.tasks.idempotency_keys_purge_task",
        "schedule": timedelta(hours=1),
    },
    "resolve-pending-provider-operations": {
        "task": "payments.tasks.provider_operations_resolve_pending_task",
        "schedule": timedelta(minutes=1),
    },
    "expire-authorizations": {
        "task": "payments.tasks.payments_expire_authorizations_task",
        "schedule": timedelta(hours=1),
    },
    "process-provider-events": {
        "task": "payments.tasks.provider_events_process_pending_task",
        "schedule": timedelta(minutes=5),
    },
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep_task",
        "schedule": timedelta(minutes=1),
    },
    "expire-3ds-challenges": {
        "task": "payments.tasks.payments_expire_authentications_task",
        "schedule": timedelta(minutes=5),
    },
    "fraud-counters-purge": {
        "task": "fraud.tasks.fraud_counters_purge_task",
        "schedule": timedelta(hours=1),
    },
}
# Celery tasks that receive each committed event's id (gateway.events.event_publish),
# each with the function that says whether it wants an event (None: every event). An
# event that no consumer wants is left to the consumers' sweepers.
EVENT_OUTBOX_CONSUMERS = {
    "webhooks.tasks.webhook_event_dispatch_task": "webhooks.selectors.endpoints_want_event",
}

# --- Webhooks to merchants ------------------------------------------------------------
# Seconds to wait before each attempt: the first is immediate, then SPEC §6's backoff
# (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), each with +/-10 % jitter. After the
# last one fails the delivery is failed. Compress it for demos and tests.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=int, default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000]
)
if not WEBHOOK_RETRY_SCHEDULE or min(WEBHOOK_RETRY_SCHEDULE) < 0:
    raise ImproperlyConfigured("WEBHOOK_RETRY_SCHEDULE must be seconds, 0 or more, by commas")
# A 2xx within this many seconds is a success; the whole request must fit in it.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=15)
# Test-mode endpoints may use plain loopback (localhost, 127.0.0.1, [::1]) over http.
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
# Ports an endpoint URL may name (loopback endpoints, when allowed, may use any).
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[80, 443, 8080, 8443])
if not all(1 <= port <= 65535 for port in WEBHOOK_ALLOWED_PORTS):
    raise ImproperlyConfigured("WEBHOOK_ALLOWED_PORTS must be ports, from 1 to 65535")
# Requests in flight to one endpoint at most, so a slow endpoint holds few workers.
WEBHOOK_ENDPOINT_CONCURRENCY = env.int("WEBHOOK_ENDPOINT_CONCURRENCY", default=100)
# Seconds a worker may hold a delivery; after that (a killed worker) it is retried.
WEBHOOK_DELIVERY_LEASE = env.int("WEBHOOK_DELIVERY_LEASE", default=60)
# An endpoint whose deliveries have failed for this long without a success is disabled.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5 * 24 * 3600)
# Webhook endpoints a merchant may have in each mode (Stripe allows 16).
WEBHOOK_ENDPOINTS_MAX = env.int("WEBHOOK_ENDPOINTS_MAX", default=16)
# Events still undispatched this many seconds after they were written are picked up by
# the sweeper (the message on commit was lost).
WEBHOOK_DISPATCH_GRACE = env.int("WEBHOOK_DISPATCH_GRACE", default=60)
require_at_least(
    1,
    "WEBHOOK_ENDPOINT_CONCURRENCY",
    "WEBHOOK_DELIVERY_LEASE",
    "WEBHOOK_DISABLE_AFTER",
    "WEBHOOK_DISPATCH_GRACE",
    "WEBHOOK_ENDPOINTS_MAX",
)
if WEBHOOK_TIMEOUT <= 0:
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT must be more than 0 seconds")

# --- E-mail ---------------------------------------------------------------------------
# smtp://user:password@host:587/?tls=True in production; the console by default.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="gateway@localhost")

# --- Auth, i18n, static ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["merchants.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["merchants.permissions.IsSecretKey"],
    "DEFAULT_THROTTLE_CLASSES": ["gateway.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["gateway.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "gateway.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "gateway.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "STRICT_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Payment Gateway API",
    "DESCRIPTION": "Take payments, refund them and follow them with events. "
    "Authenticate with `Authorization: Bearer sk_test_...`.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BalanceTransactionTypeEnum": "payments.ledger.TransactionType",
        "PaymentMethodTypeEnum": [("card", "card")],
        "WebhookEndpointStatusEnum": "webhooks.enums.EndpointStatus",
        "BlocklistTypeEnum": "fraud.enums.BlocklistType",
        "PaymentStatusEnum": "payments.enums.PaymentStatus",
        "CaptureMethodEnum": "payments.enums.CaptureMethod",
    },
}

# --- Logging --------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    **json_console(),
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # At DEBUG these SDKs log request headers and bodies: paypalrestsdk the Basic
        # credentials and bearer tokens, stripe the card parameters it posts.
        "paypalrestsdk": {"level": "WARNING"},
        "stripe": {"level": "INFO"},
        # Django's own console handler (DEBUG only) would print each line twice, once
        # as plain text: everything goes through the JSON handler above.
        "django": {"handlers": [], "level": "INFO"},
        # gunicorn's access and error lines, in the workers (where Django configures
        # logging): JSON, redacted, and with the request id of the line's request.
        "gunicorn.access": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
