"""The simulated acquirer's idempotency: one charge and one answer per key."""

import pytest

from gateway.tests.concurrency import run_concurrently
from simulator import acquirer
from simulator.models import SimulatedCharge, SimulatedRequest


def _authorize(key: str, *, card_number: str = "4242424242424242", amount_minor: int = 1000):
    return acquirer.authorize(
        idempotency_key=key,
        amount_minor=amount_minor,
        currency="usd",
        card_number=card_number,
        capture=False,
        livemode=False,
        off_session=False,
        scenario="",
    )


@pytest.mark.django_db
def test_a_repeated_authorization_gets_the_first_answer_and_charges_nothing_more():
    first = _authorize("pay_1-authorize")

    again = _authorize("pay_1-authorize", card_number="4000000000000002", amount_minor=5)

    assert again == first
    assert first["result"] == "succeeded"
    charge = SimulatedCharge.objects.get()
    assert (charge.reference, charge.amount_minor, charge.status) == (
        first["reference"],
        1000,
        "authorized",
    )


@pytest.mark.django_db
def test_lookup_finds_authorizations_and_later_calls_by_key():
    authorized = _authorize("pay_1-authorize")
    captured = acquirer.capture(
        idempotency_key="pay_1-capture", reference=authorized["reference"], amount_minor=1000
    )

    assert acquirer.lookup("pay_1-authorize") == authorized
    assert acquirer.lookup("pay_1-capture") == captured
    assert acquirer.lookup("pay_1-void") is None
    assert SimulatedRequest.objects.get().operation == "capture"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_authorizations_with_one_key_charge_once():
    answers = run_concurrently(10, lambda index: _authorize("pay_2-authorize"))

    assert SimulatedCharge.objects.count() == 1
    assert all(answer == answers[0] for answer in answers)
