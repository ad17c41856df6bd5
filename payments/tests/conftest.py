import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.events import Event
from gateway.tests.assertions import assert_json_error  # noqa: F401 - shared by the tests
from merchants.services import merchant_create
from payments.models import (
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentMethod,
    ProviderOperation,
    Refund,
)
from payments.tests.fakes.paypal import FakePayPal
from payments.tests.fakes.secrets import new_secret
from payments.tests.fakes.servers import FaultProxy
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


# --- providers: localstripe, the PayPal stub, accounts with run-time credentials ----------

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe, started once per test run, listening on 127.0.0.1 only."""
    process = subprocess.Popen(
        [sys.executable, "-m", "payments.tests.fakes.localstripe_loopback"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(process.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def stripe_credentials(livemode: bool = False) -> dict:
    mode = "live" if livemode else "test"
    return {"secret_key": new_secret(f"sk_{mode}_"), "webhook_secret": new_secret("whsec_")}


def paypal_credentials() -> dict:
    return {
        "client_id": new_secret("AZ"),
        "client_secret": new_secret("EL"),
        "webhook_id": new_secret("WH"),
    }


@pytest.fixture
def add_account(test_client):
    """`add_account(provider, **params)`: a provider account made through the API, with
    fresh credentials unless given; returns (account id, credentials)."""

    def create(provider: str, **params):
        credentials = params.pop("credentials", None)
        if credentials is None:
            credentials = {
                "stripe": stripe_credentials,
                "paypal": paypal_credentials,
                "simulator": dict,
            }[provider]()
        body = {"provider": provider, "credentials": credentials, **params}
        response = test_client.post("/v1/provider_accounts", body, format="json")
        assert response.status_code == 200, response.json()
        return response.json()["id"], credentials

    return create


@pytest.fixture
def fake_paypal():
    credentials = paypal_credentials()
    fake = FakePayPal(
        client_id=credentials["client_id"], client_secret=credentials["client_secret"]
    )
    fake.credentials = credentials
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def stripe_proxy(localstripe_url):
    """A fault-injecting proxy in front of localstripe."""
    proxy = FaultProxy(localstripe_url)
    proxy.server.start()
    yield proxy
    proxy.server.stop()


@pytest.fixture
def fast_timeouts(settings):
    """Provider calls give up after half a second, and the stripe SDK retries once."""
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    settings.PROVIDER_READ_TIMEOUT = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
