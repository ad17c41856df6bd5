"""Payments in /metrics: counted by status and provider once the change commits, and
the lag of provider operations waiting for an answer."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from gateway.tests.metrics import metric
from payments.models import Payment, ProviderOperation
from payments.services.payments import payment_cancel
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db

STATUSES = ("created", "processing", "captured", "failed", "canceled")


def _counts() -> dict[str, float]:
    return {
        status: metric(
            "gateway_payments_total", status=status, provider="simulator", livemode="false"
        )
        for status in STATUSES
    }


def test_payments_are_counted_by_status_and_provider_when_they_commit(
    pay, django_capture_on_commit_callbacks
):
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True):
        assert pay().status_code == 200
        assert pay(payment_method_data=card_data("4000000000000002")).status_code == 402
        assert pay(simulate="network_timeout").json()["status"] == "processing"

    after = _counts()
    assert {s: after[s] - before[s] for s in STATUSES} == {
        "created": 3,
        "processing": 1,
        "captured": 1,
        "failed": 1,
        "canceled": 0,
    }


def _cancel_in_work_that_fails(payment: Payment) -> None:
    with transaction.atomic():
        payment_cancel(payment=payment)
        raise RuntimeError("the surrounding work failed")


def test_a_change_that_rolls_back_is_not_counted(pay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = Payment.objects.get(pk=pay(confirm=False).json()["id"])
    before = _counts()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _cancel_in_work_that_fails(payment)

    assert _counts() == before
    assert Payment.objects.get(pk=payment.pk).status == "created"


def test_an_operation_left_pending_shows_as_provider_operations_lag(pay):
    assert metric("gateway_queue_lag_seconds", queue="provider_operations") == 0

    assert pay(simulate="network_timeout").json()["status"] == "processing"

    reserved = ProviderOperation.objects.get(status="pending").created_at
    with time_machine.travel(reserved + timedelta(seconds=120), tick=False):
        lag = metric("gateway_queue_lag_seconds", queue="provider_operations")
    assert lag == 120
