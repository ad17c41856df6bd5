"""Idempotency-Key on the real payments endpoint, against the simulator (T01, T03)."""

import json
import threading
import time

import pytest
from django.db import connections, transaction
from rest_framework.test import APIClient

from gateway.events import Event
from gateway.tests.concurrency import connection_slots, run_concurrently
from payments.ledger import LedgerTransaction
from payments.models import Payment, ProviderOperation, Refund
from payments.providers.simulator import SimulatorProvider
from payments.services import payments as payment_services
from payments.tests.conftest import card_data
from simulator.models import SimulatedCharge

BODY = {"amount": 2500, "currency": "usd", "payment_method_data": card_data()}


def _post(client, key: str, body: dict = BODY):
    return client.post("/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_repeated_payment_request_is_replayed_and_charges_once(test_client):
    first = _post(test_client, "order-7")
    second = _post(test_client, "order-7")

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1


@pytest.mark.django_db
def test_a_replayed_decline_is_the_same_402(test_client):
    body = {**BODY, "payment_method_data": card_data("4000000000009995")}

    first, second = _post(test_client, "order-8", body), _post(test_client, "order-8", body)

    assert first.status_code == second.status_code == 402
    assert second.content == first.content
    assert Payment.objects.count() == 1


class ProcessKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even exception handlers."""


@pytest.mark.django_db
def test_t03_a_crash_after_the_provider_charged_is_finished_by_the_retry(
    test_client, settings, monkeypatch
):
    # given: the process dies right after the acquirer charged, before we applied it
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    authorize = SimulatorProvider.authorize

    def charge_then_die(self, request):
        authorize(self, request)
        raise ProcessKilled

    monkeypatch.setattr(SimulatorProvider, "authorize", charge_then_die)
    with pytest.raises(ProcessKilled):
        _post(test_client, "order-9")
    monkeypatch.setattr(SimulatorProvider, "authorize", authorize)

    # when: a retry inside the lock timeout, then one after it
    early = _post(test_client, "order-9")
    time.sleep(1.1)
    late = _post(test_client, "order-9")

    # then: one charge upstream, captured once, one ledger posting
    assert early.status_code == 409
    assert late.status_code == 200, late.json()
    assert late.json()["status"] == "captured"
    assert Payment.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_t01_100_concurrent_payment_posts_with_one_key_charge_once(keys, settings):
    # given
    settings.API_RATE_LIMIT = 0
    threads_count = 100

    def request(index: int) -> tuple[int, bytes]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}")
        response = _post(client, "t01-payment")
        return response.status_code, response.content

    # when
    results = run_concurrently(threads_count, request, at_once=connection_slots(threads_count))

    # then
    assert all(isinstance(result, tuple) for result in results), results
    succeeded = {body for status, body in results if status == 200}
    in_use = [body for status, body in results if status == 409]
    assert len(succeeded) == 1
    assert sum(status in (200, 409) for status, _ in results) == threads_count
    assert all(json.loads(body)["error"]["code"] == "idempotency_key_in_use" for body in in_use)
    assert Payment.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1
    retry = _post(APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}"), "t01-payment")
    assert retry.content == succeeded.pop()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/v1/refunds", "/v1/payments/{id}/refund"])
def test_a_crash_after_the_provider_refunded_is_finished_by_the_retry_not_refunded_again(
    test_client, settings, monkeypatch, path
):
    # given: a captured payment, and a refund whose process dies right after the
    # acquirer refunded, before we applied it
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    payment = test_client.post("/v1/payments", BODY, format="json").json()
    url, body = path.format(id=payment["id"]), {"payment": payment["id"], "amount": 1000}
    if path != "/v1/refunds":
        del body["payment"]
    refund = SimulatorProvider.refund

    def refund_then_die(self, **kwargs):
        refund(self, **kwargs)
        raise ProcessKilled

    monkeypatch.setattr(SimulatorProvider, "refund", refund_then_die)
    with pytest.raises(ProcessKilled):
        test_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    monkeypatch.setattr(SimulatorProvider, "refund", refund)

    # when: the retry after the lock timeout
    time.sleep(1.1)
    retried = test_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")

    # then: the first refund, finished; nothing refunded twice
    assert retried.status_code == 200, retried.json()
    assert (retried.json()["status"], retried.json()["amount"]) == ("succeeded", 1000)
    assert list(Refund.objects.values_list("id", flat=True)) == [retried.json()["id"]]
    assert Payment.objects.get().amount_refunded_minor == 1000
    assert LedgerTransaction.objects.filter(type="refund").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/v1/payments", "/v1/payment_methods"])
def test_refused_card_data_is_not_stored_and_the_key_stays_usable(test_client, path):
    # given: a card number mistyped under a key
    typo = card_data("4242424242424241")
    body = BODY if path == "/v1/payments" else BODY["payment_method_data"]
    mistyped = {**body, "payment_method_data": typo} if path == "/v1/payments" else typo

    refused = test_client.post(path, mistyped, format="json", HTTP_IDEMPOTENCY_KEY="order-10")

    # when: the corrected request under the same key
    corrected = test_client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="order-10")

    # then: the refusal (no effect) was not kept; the corrected request ran
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "incorrect_number"
    assert corrected.status_code == 200, corrected.json()
    assert "Idempotent-Replayed" not in corrected


def _die_after(monkeypatch, owner, name: str) -> None:
    """Make `owner.name` do its work, then kill the process."""
    real = getattr(owner, name)

    def work_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise ProcessKilled

    monkeypatch.setattr(owner, name, work_then_die)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status", "provider_call"),
    [("capture", "captured", "capture"), ("cancel", "canceled", "void")],
)
@pytest.mark.parametrize("dies", ["after-the-provider-answered", "after-the-answer-committed"])
def test_a_capture_or_cancel_whose_process_died_is_finished_by_its_retry(
    test_client, settings, monkeypatch, action, status, provider_call, dies
):
    # given: an authorization, and a capture (or cancel) whose process dies either
    # right after the acquirer answered or once the answer is applied and committed,
    # before its response is stored
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    payment = test_client.post(
        "/v1/payments", {**BODY, "capture_method": "manual"}, format="json"
    ).json()
    url = f"/v1/payments/{payment['id']}/{action}"
    with monkeypatch.context() as patched:
        if dies == "after-the-provider-answered":
            _die_after(patched, SimulatorProvider, provider_call)
        else:
            _die_after(patched, payment_services, f"payment_{action}")
        with pytest.raises(ProcessKilled):
            test_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"{action}-1")

    # when: the retry after the lock timeout
    time.sleep(1.1)
    retried = test_client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"{action}-1")

    # then: the first attempt's outcome, finished once
    assert retried.status_code == 200, retried.json()
    assert retried.json()["status"] == status
    operations = ProviderOperation.objects.filter(payment_id=payment["id"], kind=provider_call)
    assert list(operations.values_list("status", flat=True)) == ["succeeded"]
    captures = LedgerTransaction.objects.filter(type="charge")
    assert captures.count() == (1 if action == "capture" else 0)
    assert Event.objects.filter(object_id=payment["id"], type=f"payment.{status}").count() == 1


def _in_thread(call) -> dict:
    """Run `call` in a thread of its own (its own database connection); its result
    under "value" once `join()`ed."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    outcome["join"] = thread.join
    return outcome


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_taking_over_the_key_of_a_slow_first_request_makes_no_second_payment(
    keys, settings, monkeypatch
):
    # given: the first request stalls (1.5 s) before writing anything, past the lock timeout
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    screen = payment_services.payment_screen
    stalled = []

    def slow_first_screening(payment):
        if not stalled:
            stalled.append(payment)
            time.sleep(1.5)
        return screen(payment)

    monkeypatch.setattr(payment_services, "payment_screen", slow_first_screening)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}")

    # when: the retry takes the stale key over and finishes first
    first = _in_thread(
        lambda: _post(APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}"), "slow-1")
    )
    time.sleep(1.1)
    retry = _post(client, "slow-1")
    first["join"]()

    # then: one payment, charged once; both answers name it
    assert retry.status_code == first["value"].status_code == 200
    assert retry.json()["id"] == first["value"].json()["id"]
    assert Payment.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_retry_taking_over_the_key_of_a_slow_first_refund_makes_no_second_refund(keys, settings):
    # given: a captured payment whose row another transaction holds for 2 seconds
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}")
    payment_id = _post(client, "pay-for-refund").json()["id"]

    def hold_the_payment() -> None:
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment_id)
            time.sleep(2)

    def refund():
        return APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}").post(
            f"/v1/payments/{payment_id}/refund", {"amount": 300}, format="json",
            HTTP_IDEMPOTENCY_KEY="refund-slow-1",
        )  # fmt: skip

    holder = _in_thread(hold_the_payment)
    time.sleep(0.2)

    # when: a refund waits on the row past the lock timeout, and its retry takes over
    first = _in_thread(refund)
    time.sleep(1.1)
    retry = refund()
    first["join"](), holder["join"]()

    # then: one refund of 300
    assert retry.status_code == first["value"].status_code == 200
    assert retry.json()["id"] == first["value"].json()["id"]
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=payment_id).amount_refunded_minor == 300
