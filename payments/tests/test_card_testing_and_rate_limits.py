"""T19: rate limiting and the card-testing guard.

- 50 declined authorizations from one merchant, customer or IP address within a minute
  trip the card-testing guard (fraud rule `card_testing`).
- A key at twice its limit gets 429 with Retry-After for a (simulated) minute, while
  another merchant's requests keep succeeding, as fast as before.
"""

import gc
import statistics
import time

import pytest
import time_machine

from merchants.services import merchant_create
from payments.tests.conftest import card_data
from payments.tests.helpers import random_pan

pytestmark = pytest.mark.django_db


def _declines(pay, count: int, **body) -> None:
    for _ in range(count):
        response = pay(
            payment_method_data=card_data(random_pan()), simulate="insufficient_funds", **body
        )
        assert response.json()["error"]["decline_code"] == "insufficient_funds"


def test_fifty_declines_from_one_ip_within_a_minute_block_it(pay):
    ip = {"ip_address": "198.51.100.7"}
    _declines(pay, 49, risk_context=ip)
    # 49 declines: not yet
    assert pay(payment_method_data=card_data(random_pan()), risk_context=ip).status_code == 200

    _declines(pay, 1, risk_context=ip)
    response = pay(payment_method_data=card_data(random_pan()), risk_context=ip)

    # the 50th decline trips the guard: the next attempt from that IP is blocked
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "fraud_blocked"
    # another IP of the same merchant is not blocked (the merchant-wide guard challenges)
    other = pay(
        payment_method_data=card_data(random_pan()), risk_context={"ip_address": "192.0.2.1"}
    )
    assert other.json()["status"] == "requires_action"
    assert other.json()["risk"]["reasons"] == ["card_testing_merchant"]


def test_fifty_declines_for_one_customer_block_it(pay, test_client):
    customer = test_client.post("/v1/customers", {}, format="json").json()["id"]
    _declines(pay, 50, customer=customer)

    response = pay(payment_method_data=card_data(random_pan()), customer=customer)

    assert response.json()["error"]["code"] == "fraud_blocked"


def test_fifty_declines_at_one_merchant_challenge_its_payments(
    pay, client_for, other_merchant_with_keys
):
    _declines(pay, 50)

    challenged = pay(payment_method_data=card_data(random_pan()))
    elsewhere = client_for(other_merchant_with_keys[1]["test_secret"]).post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "payment_method_data": card_data(random_pan())},
        format="json",
    )

    assert challenged.json()["status"] == "requires_action"
    assert elsewhere.json()["status"] == "captured"


def test_the_guard_forgets_after_a_minute(pay):
    ip = {"ip_address": "198.51.100.8"}
    with time_machine.travel(time.time(), tick=True) as clock:
        _declines(pay, 50, risk_context=ip)
        clock.shift(61)
        response = pay(payment_method_data=card_data(random_pan()), risk_context=ip)

    assert response.status_code == 200


def test_a_key_at_twice_its_limit_is_throttled_while_other_merchants_keep_working(
    settings, client_for, keys
):
    # given a limit of 5 requests/s per key, and a second merchant
    settings.API_RATE_LIMIT = 5
    noisy = client_for(keys["test_secret"])
    _, issued = merchant_create(name="Quiet Shop", email="ops@quiet.test", actor="test")
    quiet = client_for(issued["test_secret"].plaintext)

    def timed(client) -> tuple:
        started = time.perf_counter()
        response = client.get("/v1/account")
        return response, time.perf_counter() - started

    def one_minute(minute: int) -> dict[bool, list[float]]:
        """Seconds alternate: the quiet merchant alone (baseline), then with the noisy
        key sending 10 requests per second (2x its limit), 60 seconds of each, so
        machine noise hits both samples alike. Checks that exactly the limit got
        through each noisy second; returns the quiet merchant's latencies by whether
        the noisy key was sending. The garbage collector is paused: its pauses would
        dwarf what is measured."""
        samples = {False: [], True: []}
        allowed = throttled = 0
        gc.collect()
        gc.disable()
        try:
            with time_machine.travel(1_900_000_000 + 1000 * minute, tick=False) as clock:
                for second in range(120):
                    noisy_now = second % 2 == 1
                    for i in range(10):
                        if noisy_now:
                            response, _ = timed(noisy)
                            if response.status_code == 429:
                                throttled += 1
                                assert int(response["Retry-After"]) >= 1
                                assert response.json()["error"]["type"] == "rate_limit_error"
                            else:
                                allowed += 1
                        if i % 2 == 0:
                            response, elapsed = timed(quiet)
                            assert response.status_code == 200
                            samples[noisy_now].append(elapsed)
                    clock.shift(1)
        finally:
            gc.enable()
        assert (allowed, throttled) == (300, 300)
        return samples

    for client in (noisy, quiet) * 3:  # warm up: the first requests pay one-off costs
        client.get("/v1/account")

    # then: the other merchant was never throttled nor slowed, its p99 within 10 % of
    # the baseline's (plus half a millisecond of timer noise). Five minutes are pooled:
    # on this shared machine the p99 of one minute is its 3rd-slowest request, which a
    # single scheduler hiccup decides; the 15th-slowest of five is steady, and 2 ms
    # more on the requests made while the noisy key is refused fails it every time.
    # A second pool is measured only if the first misses: a busy neighbour can spoil
    # one, a limiter that slows the others spoils both.
    measured = []
    for attempt in range(2):
        pooled = {False: [], True: []}
        for minute in range(5):
            for noisy_now, values in one_minute(5 * attempt + minute).items():
                pooled[noisy_now] += values
        baseline, loaded = (statistics.quantiles(pooled[n], n=100)[98] for n in (False, True))
        measured.append((baseline, loaded))
        if loaded <= baseline * 1.10 + 0.0005:
            break
    else:
        pytest.fail(f"slower while the noisy key was refused, (baseline, loaded) p99: {measured}")
