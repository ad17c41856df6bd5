"""The outbox hands each committed event to its consumers by task name, after commit."""

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from gateway.celery import app as celery_app
from gateway.events import Event, event_emit, events_claim_for_dispatch
from gateway.tests import outbox_consumer

pytestmark = pytest.mark.django_db

CONSUMER = "gateway.tests.outbox_consumer.record_task"


@pytest.fixture(autouse=True)
def consumer(settings):
    settings.EVENT_OUTBOX_CONSUMERS = {CONSUMER: None}
    outbox_consumer.received.clear()
    return outbox_consumer.received


def _emit(merchant) -> Event:
    return event_emit(
        type="payment.captured",
        snapshot={"id": "pay_1", "object": "payment"},
        merchant_id=merchant.id,
        livemode=False,
    )


def test_a_committed_event_reaches_each_consumer_once_after_commit(
    merchant, consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = _emit(merchant)
        assert consumer == []  # nothing leaves before the commit

    assert consumer == [event.id]


def test_a_rolled_back_event_reaches_nobody(merchant, consumer, django_capture_on_commit_callbacks):
    """T08(a): the change and its event roll back together; no consumer hears of it."""

    def change_then_crash():
        with transaction.atomic():
            _emit(merchant)
            raise RuntimeError("crash before commit")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_then_crash()

    assert consumer == []
    assert Event.objects.count() == 0


@pytest.fixture
def through_broker():
    """Publish as the web process does, instead of the tests' eager mode."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


def test_consumers_are_sent_by_name_without_retries(
    merchant, monkeypatch, through_broker, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, **kw: sent.append((name, kw)))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = _emit(merchant)

    assert sent == [(CONSUMER, {"args": (event.id,), "retry": False})]


def test_an_unreachable_broker_does_not_fail_the_change(
    merchant, monkeypatch, through_broker, django_capture_on_commit_callbacks
):
    def unreachable(name, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(celery_app, "send_task", unreachable)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = _emit(merchant)

    assert Event.objects.get(pk=event.pk).dispatched_at is None  # the sweeper's job now


def test_each_event_is_claimed_for_dispatch_by_exactly_one_caller(merchant):
    with transaction.atomic():
        first, second, third = (_emit(merchant) for _ in range(3))

    with transaction.atomic():
        taken = events_claim_for_dispatch(event_id=second.id, batch=10, at=second.created_at)
        again = events_claim_for_dispatch(event_id=first.id, batch=10, at=second.created_at)

    assert [e.id for e in taken] == [second.id, first.id, third.id]
    assert again == []
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()


def test_a_consumer_whose_filter_fails_is_still_sent_the_event(
    merchant, settings, consumer, django_capture_on_commit_callbacks
):
    settings.EVENT_OUTBOX_CONSUMERS = {CONSUMER: "gateway.tests.outbox_consumer.broken_filter"}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = _emit(merchant)

    assert consumer == [event.id]


def test_a_consumer_that_does_not_want_an_event_is_not_sent_it(
    merchant, settings, consumer, django_capture_on_commit_callbacks
):
    settings.EVENT_OUTBOX_CONSUMERS = {CONSUMER: "gateway.tests.outbox_consumer.wants_nothing"}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = _emit(merchant)

    assert consumer == []
    assert Event.objects.get(pk=event.pk).dispatched_at is None  # left to the sweeper
