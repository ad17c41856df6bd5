"""Fixtures every app's tests share: a merchant with keys, and API clients."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from merchants.services import merchant_create


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip)


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
