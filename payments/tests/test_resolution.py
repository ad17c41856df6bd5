"""Pending provider operations are resolved by asking the provider, never doubled."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from gateway.events import Event
from gateway.idempotency import IdempotencyKey
from payments.models import Payment
from payments.services import resolution
from payments.services.payments import payment_create
from payments.services.resolution import operations_resolve_pending
from payments.tasks import (
    payments_expire_authorizations_task,
    provider_operations_resolve_pending_task,
)
from payments.tests.conftest import card_data
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db


def test_a_timed_out_authorization_is_resolved_from_the_provider_once(pay):
    # given a payment whose provider answer was lost
    payment_id = pay(simulate="network_timeout").json()["id"]

    # when the resolver runs (too early, then after the delay, then again)
    early = operations_resolve_pending()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        resolved = provider_operations_resolve_pending_task.delay().get()
        again = operations_resolve_pending()

    # then the provider's answer is applied exactly once
    assert (early, resolved, again) == (0, 1, 0)
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == "captured"
    assert payment.operations.get().status == "succeeded"
    assert payment.ledger_transactions.count() == 1
    # the outbox told the wait and its end, once each
    events = Event.objects.filter(object_id=payment_id).order_by("id")
    assert list(events.values_list("type", flat=True)) == [
        "payment.created",
        "payment.processing",
        "payment.captured",
    ]
    assert events[1].data["object"]["status"] == "processing"
    # one charge upstream, answered under the operation's key
    assert SimulatedCharge.objects.get().idempotency_key == payment.operations.get().idempotency_key
    call_command("ledger_check")


def test_one_operation_that_cannot_be_resolved_does_not_hold_up_the_others(
    pay, monkeypatch, caplog
):
    # given two lost answers, the first of which breaks its resolution
    broken, fine = (pay(simulate="network_timeout").json()["id"] for _ in range(2))
    resolve = resolution.operation_resolve

    def resolve_or_break(operation):
        if operation.payment_id == broken:
            raise RuntimeError("unexpected")
        return resolve(operation)

    monkeypatch.setattr(resolution, "operation_resolve", resolve_or_break)

    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        resolved = operations_resolve_pending()

    # then the other is resolved, and the failure is logged for the next run
    assert resolved == 1
    assert Payment.objects.get(pk=fine).status == "captured"
    assert Payment.objects.get(pk=broken).status == "processing"
    assert "Could not resolve" in caplog.text


def test_a_retry_with_the_same_idempotency_row_resumes_the_first_attempt(pay, merchant):
    key = IdempotencyKey.objects.create(
        merchant=merchant,
        livemode=False,
        key="k1",
        request_method="POST",
        request_path="/v1/payments",
        request_fingerprint="x",
    )
    kwargs = {
        "merchant": merchant,
        "livemode": False,
        "amount_minor": 700,
        "currency": "usd",
        "payment_method_data": card_data(),
        "simulate": "network_timeout",
        "idempotency_key": key,
    }

    first = payment_create(**kwargs)
    second = payment_create(**kwargs)

    assert first.status == "processing"
    assert second.pk == first.pk
    assert second.status == "captured"
    assert Payment.objects.count() == 1
    assert SimulatedCharge.objects.count() == 1


def test_authorizations_expire_after_the_window(pay, test_client, settings):
    settings.AUTHORIZATION_WINDOW_DAYS = 7
    kept = pay(capture_method="manual").json()["id"]
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        stale = pay(capture_method="manual").json()["id"]

    expired = payments_expire_authorizations_task.delay().get()

    assert expired == 1
    stale_payment = Payment.objects.get(pk=stale)
    assert (stale_payment.status, stale_payment.cancellation_reason) == ("canceled", "expired")
    assert Payment.objects.get(pk=kept).status == "authorized"
    assert SimulatedCharge.objects.get(reference=stale_payment.provider_reference).status == (
        "voided"
    )


def test_capture_after_the_window_is_refused(pay, test_client):
    payment_id = pay(capture_method="manual").json()["id"]

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = test_client.post(f"/v1/payments/{payment_id}/capture", {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "charge_expired_for_capture"
