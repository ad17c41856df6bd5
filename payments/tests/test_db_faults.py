"""The database connection dies in the middle of a payment request (TESTING T28).

A request runs in a thread and is paused inside one of its transactions by a thin
wrapper around a real service function; the test then kills that request's
PostgreSQL backend with `pg_terminate_backend` from its own connection and lets the
request go on. Pass: the client gets a JSON 5xx, no partial rows exist (no payment
without its events, no ledger transaction without balanced entries, no double
charge at the provider), the work completes exactly once afterwards, and the same
thread's next request works without restarting anything.

Recovery is a retry with the same Idempotency-Key (the server error released the
key, and the retry resumes what the first attempt committed) or, for a payment the
provider already answered, the pending-operation resolver.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Sum

from gateway.events import Event
from payments.ledger import LedgerEntry, LedgerTransaction, unbalanced_transactions
from payments.models import Payment, ProviderOperation
from payments.services import payments as payment_services
from payments.services.resolution import operations_resolve_pending
from payments.tests.conftest import assert_json_error, card_data, row_counts
from simulator.models import SimulatedCharge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = {"amount": 1000, "currency": "usd", "payment_method_data": card_data()}


class Pause:
    """Holds the first call of a wrapped function until the test says go."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.resume = threading.Event()
        self.backend_pid: int | None = None


@pytest.fixture
def pause_in(monkeypatch):
    """`pause_in(module, name)`: wrap the real function so its first call waits."""

    def install(module, name: str) -> Pause:
        real = getattr(module, name)
        pause = Pause()

        def paused(*args, **kwargs):
            if not pause.inside.is_set():
                assert connection.in_atomic_block, f"{name} should run inside a transaction"
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pause.backend_pid = cursor.fetchone()[0]
                pause.inside.set()
                pause.resume.wait(timeout=30)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, paused)
        return pause

    return install


def terminate_backend(pid: int) -> None:
    """Kill a backend from the test's own connection and wait until it is gone."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone() == (True,)


def requests_in_a_thread(client, count: int, pause: Pause, key: str) -> list:
    """POST the payment `count` times with Idempotency-Key `key` from one thread (one
    connection), killing its backend during the first request; returns the responses."""
    responses: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(count):
                responses.append(
                    client.post("/v1/payments", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
                )
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert pause.inside.wait(timeout=30), "the request never reached the pause"
        terminate_backend(pause.backend_pid)
    finally:
        pause.resume.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]
    return responses


def assert_no_partial_rows() -> None:
    """Every payment has its events; every ledger transaction has balanced entries."""
    for payment in Payment.objects.all():
        types = set(Event.objects.filter(object_id=payment.id).values_list("type", flat=True))
        assert {"payment.created", f"payment.{payment.status}"} <= types, payment.id
        if payment.status == "captured":
            assert payment.ledger_transactions.count() == 1
        else:
            assert payment.ledger_transactions.count() == 0
    assert not LedgerTransaction.objects.annotate(n=Count("entries")).filter(n__lt=2).exists()
    assert list(unbalanced_transactions()) == []


def test_connection_killed_while_creating_the_payment(pause_in, test_client):
    # given: the request waits inside the transaction that inserts the payment
    pause = pause_in(payment_services, "operation_reserve")

    # when: its backend is killed there; then the same thread retries with the key
    failed, retried = requests_in_a_thread(test_client, 2, pause, key="order-1")

    # then: a JSON 5xx, and the transaction left nothing behind
    error = assert_json_error(failed, 500, "api_error")
    assert "Traceback" not in error["message"]
    # the retry on the same thread reconnected and completed exactly once
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "captured"
    assert "Idempotent-Replayed" not in retried
    payment = Payment.objects.get()
    assert payment.id == retried.json()["id"]
    assert payment.idempotency_key.key == "order-1"
    assert LedgerTransaction.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1
    assert_no_partial_rows()
    # a further repeat replays the answer; the test's own connection works too
    replay = test_client.post("/v1/payments", BODY, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert (replay.status_code, replay.content) == (200, retried.content)
    assert replay["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("recovery", ["retry-with-key", "resolver"])
def test_connection_killed_while_posting_to_the_ledger(pause_in, test_client, recovery):
    # given: the request waits inside the transaction that applies the provider's answer
    pause = pause_in(payment_services, "ledger_post")

    # when
    (failed,) = requests_in_a_thread(test_client, 1, pause, key="order-2")

    # then: a JSON 5xx; the provider charged once and the payment is safely pending
    assert_json_error(failed, 500, "api_error")
    payment = Payment.objects.get()
    assert payment.status == "processing"
    assert payment.amount_received_minor == 0
    assert list(Event.objects.filter(object_id=payment.id).values_list("type", flat=True)) == [
        "payment.created"
    ]
    operation = ProviderOperation.objects.get(payment=payment)
    assert (operation.kind, operation.status) == ("authorize", "pending")
    assert LedgerTransaction.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    assert SimulatedCharge.objects.count() == 1

    # when: the client retries with its key, or the pending-operation resolver runs
    if recovery == "retry-with-key":
        retried = test_client.post(
            "/v1/payments", BODY, format="json", HTTP_IDEMPOTENCY_KEY="order-2"
        )
        assert retried.status_code == 200, retried.content
        assert (retried.json()["id"], retried.json()["status"]) == (payment.id, "captured")
    else:
        assert operations_resolve_pending(older_than=timedelta(0)) == 1

    # then: the provider's answer is applied once, without charging again
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == ("captured", 1000)
    assert Payment.objects.count() == 1
    assert LedgerTransaction.objects.filter(payment=payment).count() == 1
    assert LedgerEntry.objects.filter(transaction__payment=payment).aggregate(
        total=Sum("amount_minor")
    ) == {"total": 0}
    assert SimulatedCharge.objects.count() == 1
    assert SimulatedCharge.objects.filter(idempotency_key=operation.idempotency_key).count() == 1
    assert_no_partial_rows()
    assert operations_resolve_pending(older_than=timedelta(0)) == 0

    # and a new request works
    before = row_counts()
    response = test_client.post("/v1/payments", BODY, format="json")
    assert response.status_code == 200, response.content
    assert row_counts()["Payment"] == before["Payment"] + 1
