import pytest

from merchants.services import merchant_create


@pytest.fixture
def other_merchant_with_keys(db):
    """Merchant B, for the tests that A's objects stay A's."""
    merchant, issued = merchant_create(name="Other Shop", email="ops@other.test", actor="test")
    return merchant, {name: key.plaintext for name, key in issued.items()}


@pytest.fixture
def other_merchant(other_merchant_with_keys):
    return other_merchant_with_keys[0]


@pytest.fixture
def other_client(client_for, other_merchant_with_keys):
    """Merchant B's test-mode secret key."""
    return client_for(other_merchant_with_keys[1]["test_secret"])


@pytest.fixture
def live_client(client_for, keys):
    """Merchant A's live-mode secret key."""
    return client_for(keys["live_secret"])


@pytest.fixture
def publishable_client(client_for, keys):
    """Merchant A's test-mode publishable key."""
    return client_for(keys["test_publishable"])
