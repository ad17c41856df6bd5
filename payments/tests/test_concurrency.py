"""Races on one payment (TESTING T23): real threads, real row locks, PostgreSQL only.

Every thread has its own API client and so its own database connection; a barrier
releases them together. Pass criteria are the money invariants: refunds never exceed
the capture, one of capture/void wins, and the ledger stays balanced.
CONCURRENCY_REPEATS (default 3) sets how often the small races are repeated.
"""

import os
import threading
import time

import pytest
from django.db import transaction

from gateway.tests.concurrency import run_concurrently
from payments.enums import OperationKind, PaymentStatus
from payments.ledger import LedgerTransaction, TransactionType, unbalanced_transactions
from payments.models import Payment, Refund
from payments.services import payments as payment_services
from payments.services.operations import operation_reserve
from simulator.models import SimulatedCharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# How often the small races run; raise CONCURRENCY_REPEATS for nightly runs.
REPEATS = int(os.environ.get("CONCURRENCY_REPEATS", "3"))


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """The limiter is not under test here; 50 requests in one second would trip it."""
    settings.API_RATE_LIMIT = 0


def post_from_thread(client_for, key: str, path: str, body: dict) -> tuple[int, dict]:
    response = client_for(key).post(path, body, format="json")
    return response.status_code, response.json()


def error_code(body: dict) -> str | None:
    return body.get("error", {}).get("code")


def ledger_count(payment_id: str, type: str) -> int:
    return LedgerTransaction.objects.filter(payment_id=payment_id, type=type).count()


@pytest.mark.parametrize(
    "captured, threads, each, succeeding",
    [
        *(pytest.param(1_000, 20, 100, 10, id=f"1000-20x100-run{run}") for run in range(REPEATS)),
        pytest.param(10_000, 50, 300, 33, id="10000-50x300"),
    ],
)
def test_concurrent_refunds_never_exceed_the_capture(
    pay, client_for, keys, captured, threads, each, succeeding
):
    # given
    payment_id = pay(amount=captured).json()["id"]
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.CAPTURED

    # when
    results = run_concurrently(
        threads,
        lambda _: post_from_thread(
            client_for,
            keys["test_secret"],
            "/v1/refunds",
            {"payment": payment_id, "amount": each},
        ),
    )

    # then
    won = [body for status, body in results if status == 200]
    lost = [(status, error_code(body)) for status, body in results if status != 200]
    assert len(won) == succeeding
    assert all(body["status"] == "succeeded" and body["amount"] == each for body in won)
    # A loser that came while the last winners' refunds were pending asked for too much;
    # one that came after they succeeded found the payment `refunded`, a final state.
    too_much = {(400, "amount_too_large"), (400, "payment_unexpected_state")}
    assert len(lost) == threads - succeeding
    assert set(lost) <= too_much
    payment = Payment.objects.get(pk=payment_id)
    refunded = succeeding * each
    assert payment.amount_refunded_minor == refunded
    expected_status = PaymentStatus.REFUNDED if refunded == captured else "partially_refunded"
    assert payment.status == expected_status
    assert Refund.objects.filter(payment=payment, status="succeeded").count() == succeeding
    assert Refund.objects.filter(payment=payment).exclude(status="succeeded").count() == 0
    assert list(unbalanced_transactions()) == []
    assert ledger_count(payment_id, TransactionType.REFUND) == succeeding
    assert ledger_count(payment_id, TransactionType.CHARGE) == 1
    charge = SimulatedCharge.objects.get(reference=payment.provider_reference)
    assert charge.amount_refunded_minor == refunded


@pytest.mark.parametrize("attempt", range(REPEATS + 1))
def test_capture_and_cancel_race_has_exactly_one_winner(pay, client_for, keys, attempt):
    # given
    payment_id = pay(amount=1_000, capture_method="manual").json()["id"]
    actions = ["capture", "cancel"]

    # when
    results = run_concurrently(
        2,
        lambda i: post_from_thread(
            client_for, keys["test_secret"], f"/v1/payments/{payment_id}/{actions[i]}", {}
        ),
    )

    # then
    outcomes = dict(zip(actions, results, strict=True))
    winners = [action for action, (status, _) in outcomes.items() if status == 200]
    assert len(winners) == 1
    (winner,) = winners
    (loser,) = set(actions) - {winner}
    loser_status, loser_body = outcomes[loser]
    assert (loser_status, error_code(loser_body)) == (400, "payment_unexpected_state")
    payment = Payment.objects.get(pk=payment_id)
    charge = SimulatedCharge.objects.get(reference=payment.provider_reference)
    if winner == "capture":
        assert payment.status == PaymentStatus.CAPTURED
        assert payment.amount_received_minor == 1_000
        assert charge.status == "captured"
        assert ledger_count(payment_id, TransactionType.CHARGE) == 1
    else:
        assert payment.status == PaymentStatus.CANCELED
        assert payment.amount_received_minor == 0
        assert charge.status == "voided"
        assert ledger_count(payment_id, TransactionType.CHARGE) == 0
    assert outcomes[winner][1]["status"] == payment.status
    assert payment.operations.filter(status="pending").count() == 0
    assert list(unbalanced_transactions()) == []


def test_concurrent_captures_capture_once(pay, client_for, keys):
    # given
    payment_id = pay(amount=1_000, capture_method="manual").json()["id"]

    # when
    results = run_concurrently(
        5,
        lambda _: post_from_thread(
            client_for, keys["test_secret"], f"/v1/payments/{payment_id}/capture", {}
        ),
    )

    # then
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1
    assert all(
        (status, error_code(body)) == (400, "payment_unexpected_state")
        for status, body in results
        if status != 200
    )
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_received_minor == 1_000
    assert ledger_count(payment_id, TransactionType.CHARGE) == 1
    assert payment.operations.filter(kind="capture", status="succeeded").count() == 1
    assert list(unbalanced_transactions()) == []


def test_a_capture_waits_for_a_cancel_in_flight_and_gets_what_it_left(
    pay, client_for, keys, monkeypatch
):
    # given: a cancel whose provider call is under way (its operation reserved, not
    # answered) when the capture arrives; the provider answers 0.2 s later
    payment_id = pay(amount=1_000, capture_method="manual").json()["id"]
    real_call = payment_services.operation_call
    calling = threading.Event()

    def slow_call(operation, **kwargs):
        calling.set()
        time.sleep(0.2)
        return real_call(operation, **kwargs)

    monkeypatch.setattr(payment_services, "operation_call", slow_call)
    secret = keys["test_secret"]
    cancel = threading.Thread(
        target=post_from_thread, args=(client_for, secret, f"/v1/payments/{payment_id}/cancel", {})
    )
    cancel.start()
    assert calling.wait(timeout=10)

    # when
    status, body = post_from_thread(client_for, secret, f"/v1/payments/{payment_id}/capture", {})
    cancel.join()

    # then: not a conflict to retry, but the answer of the canceled payment
    assert (status, error_code(body)) == (400, "payment_unexpected_state")
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.CANCELED


def test_a_capture_behind_an_operation_still_unanswered_gives_up_after_the_wait(
    pay, client_for, keys, monkeypatch
):
    # given: a cancel whose provider never answered (the resolver will ask again later)
    payment_id = pay(amount=1_000, capture_method="manual").json()["id"]
    with transaction.atomic():
        operation_reserve(payment=Payment.objects.get(pk=payment_id), kind=OperationKind.VOID)
    monkeypatch.setattr(payment_services, "EXCLUSIVE_WAIT_SECONDS", 0.1)

    # when
    status, body = post_from_thread(
        client_for, keys["test_secret"], f"/v1/payments/{payment_id}/capture", {}
    )

    # then: SPEC §5 keeps 409 for idempotency errors
    assert (status, error_code(body)) == (400, "payment_operation_in_progress")
    assert body["error"]["type"] == "invalid_request_error"
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.AUTHORIZED


def test_a_browsers_card_pays_for_only_one_of_many_concurrent_confirmations(pay, client_for, keys):
    # given: ten payments awaiting confirmation, and one card's id known to a browser
    public = client_for(keys["test_publishable"])
    card = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                     "exp_year": 2040}}  # fmt: skip
    method = public.post("/v1/payment_methods", card, format="json").json()["id"]
    payments = [pay(confirm=False).json() for _ in range(10)]

    # when: each is confirmed with that card at the same moment
    def confirm(index: int) -> tuple[int, dict]:
        payment = payments[index]
        return post_from_thread(
            client_for,
            keys["test_publishable"],
            f"/v1/payments/{payment['id']}/confirm",
            {"client_secret": payment["client_secret"], "payment_method": method},
        )

    results = run_concurrently(len(payments), confirm)

    # then
    assert sorted(status for status, _ in results) == [200] + [400] * 9
    assert {error_code(body) for status, body in results if status == 400} == {
        "payment_method_unexpected_state"
    }
    assert Payment.objects.filter(payment_method_id=method).count() == 1
    assert SimulatedCharge.objects.count() == 1
