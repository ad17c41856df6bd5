import pytest

from gateway.events import Event
from merchants.services import merchant_create
from payments.models import (
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentMethod,
    ProviderOperation,
    Refund,
)
from simulator.models import SimulatedCharge, SimulatedRequest


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


def assert_json_error(response, status: int, error_type: str, code: str | None = None) -> dict:
    """A JSON error body of the SPEC §5 shape (never HTML), returning its `error`."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert b"<html" not in response.content.lower()
    error = response.json()["error"]
    assert error["type"] == error_type
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def row_counts() -> dict[str, int]:
    """How many rows every table a payment request can write holds."""
    models = (
        Payment,
        PaymentMethod,
        Refund,
        ProviderOperation,
        LedgerTransaction,
        LedgerEntry,
        Event,
        SimulatedCharge,
        SimulatedRequest,
    )
    return {model.__name__: model.objects.count() for model in models}
