"""Webhook deliveries in /metrics: attempts by outcome, and the lag of due deliveries."""

from datetime import timedelta

import pytest
import time_machine

from gateway.tests.metrics import metric
from webhooks.models import WebhookDelivery
from webhooks.tests.receiver import Reply

pytestmark = pytest.mark.django_db

OUTCOMES = ("succeeded", "retrying", "failed")


def _attempts() -> dict[str, float]:
    return {
        outcome: metric("gateway_webhook_attempts_total", outcome=outcome) for outcome in OUTCOMES
    }


def test_attempts_are_counted_by_outcome(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0, 0]
    events = ("payment.captured",)  # not the other's webhook_endpoint.disabled
    make_endpoint(make_receiver([Reply(500), Reply(200)]).url(), events=events)
    make_endpoint(make_receiver([Reply(410)]).url(), events=events)
    before = _attempts()

    with django_capture_on_commit_callbacks(execute=True):
        emit()

    after = _attempts()
    assert {o: after[o] - before[o] for o in OUTCOMES} == {
        "succeeded": 1,
        "retrying": 1,
        "failed": 1,
    }


def test_a_delivery_waiting_past_its_due_time_shows_as_lag(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 60, 60]
    make_endpoint(make_receiver([Reply(500)]).url())

    with django_capture_on_commit_callbacks(execute=True):
        emit()  # the first attempt fails; the next is due in 60 s
    assert metric("gateway_queue_lag_seconds", queue="webhook_deliveries") == 0

    due = WebhookDelivery.objects.get().next_attempt_at  # 60 s, give or take the jitter
    with time_machine.travel(due + timedelta(seconds=40), tick=False):
        lag = metric("gateway_queue_lag_seconds", queue="webhook_deliveries")
    assert lag == 40
