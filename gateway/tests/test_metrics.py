"""/metrics: the queue lag read at scrape time, and counters added up across processes."""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from gateway import metrics as gateway_metrics
from gateway.events import Event, event_emit
from gateway.tests.metrics import metric

pytestmark = pytest.mark.django_db


def _undispatched_event(merchant, *, age_seconds: int) -> Event:
    return Event.objects.create(
        merchant=merchant,
        livemode=False,
        type="payment.captured",
        object_id="pay_test",
        data={"object": {"id": "pay_test"}},
        created_at=timezone.now() - timedelta(seconds=age_seconds),
    )


def test_the_outbox_lag_is_the_age_of_the_oldest_event_not_taken_yet(merchant):
    Event.objects.update(dispatched_at=timezone.now())
    assert metric("gateway_queue_lag_seconds", queue="event_outbox") == 0

    oldest = _undispatched_event(merchant, age_seconds=90)
    _undispatched_event(merchant, age_seconds=30)
    assert 90 <= metric("gateway_queue_lag_seconds", queue="event_outbox") < 120

    Event.objects.filter(pk=oldest.pk).update(dispatched_at=timezone.now())
    assert 30 <= metric("gateway_queue_lag_seconds", queue="event_outbox") < 60


def test_an_event_no_consumer_was_sent_is_no_outbox_lag(merchant, settings):
    """It waits for the sweeper by design, in case the consumers' answer was stale."""
    settings.EVENT_OUTBOX_CONSUMERS = {
        "gateway.tests.outbox_consumer.record_task": "gateway.tests.outbox_consumer.wants_nothing"
    }
    Event.objects.update(dispatched_at=timezone.now())
    with transaction.atomic():
        unwanted = event_emit(
            type="payment.created", snapshot={"id": "pay_x"}, merchant_id=merchant.id,
            livemode=False,
        )  # fmt: skip
    Event.objects.filter(pk=unwanted.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert metric("gateway_queue_lag_seconds", queue="event_outbox") == 0
    _undispatched_event(merchant, age_seconds=30)  # one sent, whose message was lost
    assert 30 <= metric("gateway_queue_lag_seconds", queue="event_outbox") < 60


def test_a_queue_the_database_cannot_answer_for_is_left_out_not_a_failed_scrape(
    merchant, monkeypatch
):
    def unreachable(now):
        raise DatabaseError("connection refused")

    monkeypatch.setitem(gateway_metrics._queues, "unreachable", unreachable)
    _undispatched_event(merchant, age_seconds=90)

    assert metric("gateway_queue_lag_seconds", queue="event_outbox") >= 90
    assert metric("gateway_queue_lag_seconds", queue="unreachable") == 0


COUNT_ONE_CAPTURE = """
import django
django.setup()
from payments.metrics import payment_counted
payment_counted(status="captured", provider="simulator", livemode=False)
"""

SCRAPE = """
import django
django.setup()
from django.test import RequestFactory
from gateway.metrics import metrics_view
print(metrics_view(RequestFactory().get("/metrics")).content.decode())
"""


def test_processes_sharing_a_metrics_folder_are_added_up(tmp_path):
    """gunicorn and Celery workers each count in their own files; one scrape sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def python(code: str) -> str:
        return subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        ).stdout

    python(COUNT_ONE_CAPTURE)
    python(COUNT_ONE_CAPTURE)
    scraped = python(SCRAPE)

    sample = 'gateway_payments_total{livemode="false",provider="simulator",status="captured"}'
    assert f"{sample} 2.0" in scraped
    files = [path.name for path in tmp_path.iterdir()]
    assert len(files) == 2
    assert all(socket.gethostname() in name for name in files), files
