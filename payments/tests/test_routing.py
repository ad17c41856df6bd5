"""Routing over provider accounts, failover within a payment, the circuit breaker."""

import socket
import time

import pytest
import time_machine

from payments.breaker import (
    breaker_allows,
    breaker_is_open,
    breaker_record_failure,
    breaker_record_success,
)
from payments.models import Payment
from payments.tests.conftest import card_data
from payments.tests.fakes.servers import HANG, Reply, StubServer
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    """A Stripe stand-in whose answers each test scripts."""
    server = StubServer(lambda request: Reply(500, {"error": {"type": "api_error"}}))
    server.start()
    yield server
    server.stop()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _attempts(payment_id: str) -> list[tuple[str, str, str]]:
    payment = Payment.objects.get(pk=payment_id)
    return [
        (op.provider, op.provider_account_id, op.status)
        for op in payment.operations.order_by("created_at", "id")
    ]


def test_a_retryable_failure_fails_over_to_the_next_account(pay, add_account, stub, settings):
    # given A (Stripe answering 500) before B (the simulator)
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    a, _ = add_account("stripe", api_base=stub.url, priority=1)
    b, _ = add_account("simulator", priority=2)

    # when
    response = pay()

    # then the payment succeeded on B, and both attempts are recorded
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["provider"]) == ("captured", "simulator")
    assert _attempts(body["id"]) == [("stripe", a, "failed"), ("simulator", b, "succeeded")]
    payment = Payment.objects.get(pk=body["id"])
    assert payment.provider_account_id == b
    keys = list(payment.operations.order_by("id").values_list("idempotency_key", flat=True))
    assert keys == [f"{payment.id}-authorize", f"{payment.id}-authorize-2"]


def test_a_refused_connection_fails_over(pay, add_account, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    a, _ = add_account("stripe", api_base=f"http://127.0.0.1:{_closed_port()}")
    b, _ = add_account("simulator", priority=1)

    body = pay().json()

    assert body["status"] == "captured"
    assert _attempts(body["id"]) == [("stripe", a, "failed"), ("simulator", b, "succeeded")]


def test_a_processing_error_fails_over_and_a_hard_decline_does_not(pay, add_account):
    a, _ = add_account("simulator", priority=1)
    b, _ = add_account("simulator", priority=2)

    declined = pay(payment_method_data=card_data("4000000000009995"))
    bank_error = pay(simulate="bank_error")

    # a hard decline on A: B is never tried
    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "insufficient_funds"
    assert _attempts(declined.json()["error"]["payment"]) == [("simulator", a, "declined")]
    # a processing error on A goes on to B (which, simulating the same, fails too)
    assert bank_error.status_code == 402
    payment_id = bank_error.json()["error"]["payment"]
    assert _attempts(payment_id) == [("simulator", a, "failed"), ("simulator", b, "failed")]
    assert Payment.objects.get(pk=payment_id).failure_code == "processing_error"


def test_a_timeout_is_not_retried_elsewhere(pay, add_account, stub, fast_timeouts):
    # given A hangs: it may have charged, so B must not be tried
    stub.handler = lambda request: HANG
    a, _ = add_account("stripe", api_base=stub.url, priority=1)
    add_account("simulator", priority=2)

    started = time.monotonic()
    body = pay().json()

    assert time.monotonic() - started < 3
    assert body["status"] == "processing"
    assert _attempts(body["id"]) == [("stripe", a, "pending")]
    assert SimulatedCharge.objects.count() == 0


def test_an_open_circuit_is_skipped(pay, add_account, settings):
    a, _ = add_account("simulator", priority=1)
    b, _ = add_account("simulator", priority=2)
    for _ in range(settings.PROVIDER_BREAKER_FAILURES):
        breaker_record_failure(a)

    body = pay().json()

    assert body["status"] == "captured"
    assert _attempts(body["id"]) == [("simulator", b, "succeeded")]


def test_every_circuit_open_fails_fast_with_a_processing_error(pay, add_account, settings):
    a, _ = add_account("simulator")
    for _ in range(settings.PROVIDER_BREAKER_FAILURES):
        breaker_record_failure(a)

    response = pay()

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "processing_error"
    payment = Payment.objects.get(pk=response.json()["error"]["payment"])
    assert payment.status == "failed"
    assert payment.operations.count() == 0


def test_the_breaker_opens_cools_down_and_lets_one_probe_through(settings):
    settings.PROVIDER_BREAKER_FAILURES = 3
    settings.PROVIDER_BREAKER_COOLDOWN = 30
    account = "pa_breakertest"

    with time_machine.travel(0, tick=False) as clock:
        for _ in range(2):
            breaker_record_failure(account)
        assert breaker_allows(account)
        breaker_record_failure(account)
        assert breaker_is_open(account)
        assert not breaker_allows(account)

        clock.shift(31)
        assert breaker_allows(account)  # the probe
        assert not breaker_allows(account)  # only one at a time
        breaker_record_failure(account)  # the probe failed: open again
        assert not breaker_allows(account)

        clock.shift(31)
        assert breaker_allows(account)
        breaker_record_success(account)  # the probe succeeded: closed
        assert breaker_allows(account)
        assert breaker_allows(account)


def test_consecutive_failures_at_a_provider_open_its_circuit(pay, add_account, stub, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PROVIDER_BREAKER_FAILURES = 2
    a, _ = add_account("stripe", api_base=stub.url, priority=1)
    add_account("simulator", priority=2)

    pay(), pay()
    before = len(stub.requests)
    third = pay().json()

    assert breaker_is_open(a)
    assert len(stub.requests) == before  # skipped without a call
    assert _attempts(third["id"])[0][0] == "simulator"


def test_an_explicit_provider_wins_over_priority(pay, add_account, localstripe_url):
    add_account("simulator", priority=0)
    stripe_account, _ = add_account("stripe", api_base=localstripe_url, priority=5)

    body = pay(provider="stripe").json()

    assert (body["status"], body["provider"]) == ("captured", "stripe")
    assert Payment.objects.get(pk=body["id"]).provider_account_id == stripe_account


def test_rules_choose_accounts_by_currency_brand_and_amount(pay, add_account):
    eur, _ = add_account("simulator", priority=1, currencies=["eur"])
    amex, _ = add_account("simulator", priority=2, card_brands=["amex"])
    small, _ = add_account("simulator", priority=3, max_amount=5000)
    any_account, _ = add_account("simulator", priority=4)

    cases = {
        eur: pay(currency="eur"),
        amex: pay(payment_method_data=card_data("378282246310005", cvc="1234"), amount=9000),
        small: pay(amount=4000),
        any_account: pay(amount=9000),
    }

    for account, response in cases.items():
        payment = Payment.objects.get(pk=response.json()["id"])
        assert payment.provider_account_id == account


def test_no_matching_account_is_a_400_and_no_payment(pay, add_account):
    add_account("simulator", currencies=["eur"])

    response = pay(currency="usd")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_provider_available"
    assert Payment.objects.count() == 0


def test_without_accounts_the_builtin_simulator_is_used(pay):
    body = pay().json()

    payment = Payment.objects.get(pk=body["id"])
    assert (payment.provider, payment.provider_account_id) == ("simulator", None)
    assert payment.operations.get().provider_account_id is None
