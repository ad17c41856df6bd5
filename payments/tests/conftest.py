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


FUTURE_YEAR = 2040


def card_data(number: str = "4242424242424242", cvc: str = "123") -> dict:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": FUTURE_YEAR, "cvc": cvc},
    }


@pytest.fixture
def pay(test_client):
    """`pay(**body)`: POST /v1/payments with a 4242 card unless told otherwise."""

    def create(**body):
        body.setdefault("amount", 1000)
        body.setdefault("currency", "usd")
        if "payment_method" not in body:
            body.setdefault("payment_method_data", card_data())
        return test_client.post("/v1/payments", body, format="json")

    return create
