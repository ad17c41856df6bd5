"""Fixtures every app's tests share: a merchant with keys, and API clients."""

import logging
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from merchants.services import merchant_create
from payments.tests.fakes.secrets import RUNTIME_SECRETS


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    skip_redis = pytest.mark.skip(reason="needs Redis as the broker: set REDIS_URL")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip)
        if "redis" in item.keywords and not settings.CELERY_BROKER_URL.startswith("redis"):
            item.add_marker(skip_redis)


# Secret shapes that must never appear in a log record in the clear (T20).
_SECRET_SHAPES = re.compile(
    r"\b[sr]k_(?:test|live)_[A-Za-z0-9]{8,}"
    r"|\bwhsec_[A-Za-z0-9+/=]{8,}"
    r"|\b(?:Bearer|Basic) (?!\[REDACTED\])[A-Za-z0-9._~+/=-]{8,}"
)


class _SecretScan(logging.Handler):
    """Sees every record of the run (the test settings log at DEBUG) and keeps those
    showing a secret: a shape above, or a credential the tests generated."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []
        self._known = 0
        self._generated = None

    def _generated_pattern(self):
        if self._known != len(RUNTIME_SECRETS):
            self._known = len(RUNTIME_SECRETS)
            self._generated = re.compile("|".join(map(re.escape, sorted(RUNTIME_SECRETS))))
        return self._generated

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        generated = self._generated_pattern()
        if _SECRET_SHAPES.search(text) or (generated and generated.search(text)):
            self.leaks.append(f"{record.name}: {text[:300]}")


@pytest.fixture(scope="session", autouse=True)
def _t20_no_secret_in_any_log_record():
    """T20: the whole suite runs with logging at DEBUG; any record that shows a provider
    secret, webhook secret, API key or bearer/basic credential fails the run."""
    scan = _SecretScan()
    root = logging.getLogger()
    root.addHandler(scan)
    yield
    root.removeHandler(scan)
    assert scan.leaks == [], "secrets reached the logs:\n" + "\n".join(scan.leaks[:20])


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and other cached state never leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def merchant_with_keys(db):
    """An active merchant and its four keys (`test_secret`, `live_publishable`, …)."""
    return merchant_create(name="Acme Shop", email="ops@acme.test", actor="test")


@pytest.fixture
def merchant(merchant_with_keys):
    return merchant_with_keys[0]


@pytest.fixture
def keys(merchant_with_keys):
    """Plaintext keys by name."""
    return {name: issued.plaintext for name, issued in merchant_with_keys[1].items()}


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(api_client):
    """`client_for(key)`: an API client authenticating with that key."""

    def build(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client

    return build


@pytest.fixture
def test_client(client_for, keys):
    """Authenticated with the merchant's test-mode secret key."""
    return client_for(keys["test_secret"])


@pytest.fixture
def staff_client(client):
    """The Django test client logged in as a superuser (`admin:alice` in audit rows)."""
    user = User.objects.create_superuser("alice", "alice@ops.test", "a-long-password-123")
    client.force_login(user)
    return client


@pytest.fixture
def migrate():
    """`migrate(targets)` moves the test database's schema to those migrations; the
    test after it gets the latest schema back, as every other test expects."""

    def to(targets) -> None:
        MigrationExecutor(connection).migrate(targets)

    yield to
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
