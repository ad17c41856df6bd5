"""The outbox announces an event only when an endpoint subscribes to its type; every
other event waits for the sweeper, so a stale answer delays an event, never loses it.
(Celery runs eagerly here: an announced event is dispatched before the test goes on.)

The answer is cached where the cache is shared (Redis); these tests treat the test
process's cache as such, whichever backend the run has, except where said.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

import gateway.cache
from gateway.celery import app as celery_app
from gateway.events import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_update, webhooks_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shared_cache(monkeypatch):
    monkeypatch.setattr(gateway.cache, "cache_is_shared", lambda: True)


def _dispatched(event: Event) -> bool:
    return Event.objects.get(pk=event.pk).dispatched_at is not None


def _sweep_after_the_grace(settings, django_capture_on_commit_callbacks) -> dict:
    later = timezone.now() + timedelta(seconds=settings.WEBHOOK_DISPATCH_GRACE + 1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        return webhooks_sweep()


@pytest.fixture
def announced(monkeypatch) -> list[str]:
    """Ids of the events sent to the broker (which these tests stand in for)."""
    sent = []
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(celery_app, "send_task", lambda name, args, **kw: sent.extend(args))
    yield sent
    celery_app.conf.task_always_eager = eager


def test_only_events_of_a_subscribed_type_are_announced(
    announced, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url(), events=["payment.captured"])

    with django_capture_on_commit_callbacks(execute=True):
        captured = emit("payment.captured")
        emit("payment.created")
        emit("payment.captured", livemode=True)  # the endpoint is a test-mode one

    assert announced == [captured.id]


def test_the_sweeper_marks_unannounced_events_dispatched_with_no_delivery(
    settings, emit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("payment.captured")
    assert not _dispatched(event)

    swept = _sweep_after_the_grace(settings, django_capture_on_commit_callbacks)

    assert swept["dispatched"] == 1
    assert _dispatched(event)
    assert not WebhookDelivery.objects.filter(event=event).exists()


def test_an_endpoint_created_after_the_answer_was_cached_hears_the_next_event_at_once(
    receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        before = emit("payment.captured")  # caches "nothing subscribed"
    with django_capture_on_commit_callbacks(execute=True):
        make_endpoint(receiver.url(), events=["payment.captured"])  # forgotten at commit
    with django_capture_on_commit_callbacks(execute=True):
        after = emit("payment.captured")

    assert _dispatched(after)
    # the older event went in the same batch, but an endpoint gets no event older than it
    assert _dispatched(before)
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == [after.id]
    assert not WebhookDelivery.objects.filter(event=before).exists()


def test_an_endpoint_the_cache_has_not_heard_of_gets_the_event_late_not_never(
    settings, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    # given: the cached answer predates the endpoint (as in a process whose cache
    # is not shared), so the next event is not announced
    with django_capture_on_commit_callbacks(execute=True):
        emit("payment.captured")
    make_endpoint(receiver.url(), events=["payment.captured"])  # its commit hooks never run
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("payment.captured")
    assert not _dispatched(event)

    # when / then: the sweeper delivers it
    _sweep_after_the_grace(settings, django_capture_on_commit_callbacks)
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == [event.id]


def test_a_re_enabled_endpoint_gets_no_event_from_while_it_was_disabled(
    settings, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    # given: an event while the only endpoint is disabled (not announced), and one after
    endpoint = make_endpoint(receiver.url(), events=["payment.captured"]).endpoint
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_update(endpoint=endpoint, actor="test", disabled=True)
        missed = emit("payment.captured")
        webhook_endpoint_update(endpoint=endpoint, actor="test", disabled=False)
        heard = emit("payment.captured")  # its dispatch takes the first one along

    # when: the sweeper passes too
    _sweep_after_the_grace(settings, django_capture_on_commit_callbacks)

    # then
    assert _dispatched(missed)
    assert not WebhookDelivery.objects.filter(event=missed).exists()
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == [heard.id]


def test_every_event_is_announced_while_the_cache_is_down(
    monkeypatch, emit, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "get_many", down)

    with django_capture_on_commit_callbacks(execute=True):
        event = emit("payment.captured")

    assert _dispatched(event)  # announced, and the dispatch found no endpoint


def test_without_a_shared_cache_the_answer_is_read_afresh_for_each_event(
    monkeypatch, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    # given: a cache in each process (the embedded default), which another process's
    # endpoint change would never reach
    monkeypatch.setattr(gateway.cache, "cache_is_shared", lambda: False)
    with django_capture_on_commit_callbacks(execute=True):
        emit("payment.captured")
    make_endpoint(receiver.url(), events=["payment.captured"])  # its commit hooks never run

    with django_capture_on_commit_callbacks(execute=True):
        event = emit("payment.captured")

    assert _dispatched(event)
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == [event.id]


def test_an_event_is_dispatched_as_the_endpoint_subscribed_when_it_was_written(
    settings, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    # given: events written on either side of a subscription change, whose on-commit
    # messages never left (a broker away), so that all are dispatched after the change
    endpoint = make_endpoint(receiver.url(), events=["payment.captured"]).endpoint
    settings.EVENT_OUTBOX_CONSUMERS = {}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        captured_before = emit("payment.captured")
        emit("payment.created")  # not subscribed to yet
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        webhook_endpoint_update(endpoint=endpoint, actor="test", enabled_events=["payment.created"])
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        emit("payment.captured")  # no longer subscribed to
        created_after = emit("payment.created")

    # when
    settings.EVENT_OUTBOX_CONSUMERS = {"webhooks.tasks.webhook_event_dispatch_task": None}
    _sweep_after_the_grace(settings, django_capture_on_commit_callbacks)

    # then
    delivered = {r.headers["webhook-id"] for r in receiver.wait_for(2)}
    assert delivered == {captured_before.id, created_after.id}
    assert WebhookDelivery.objects.count() == 2
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()


def test_an_endpoint_keeps_a_week_and_at_most_a_hundred_of_its_earlier_subscriptions():
    endpoint = WebhookEndpoint(enabled_events=["payment.created"])
    start = timezone.now()
    endpoint.subscribe(["payment.captured"], at=start)
    endpoint.subscribe(["payment.captured"], at=start)  # no change, nothing kept

    assert endpoint.enabled_events_at(start - timedelta(seconds=1)) == ["payment.created"]
    assert endpoint.enabled_events_at(start) == ["payment.captured"]
    assert len(endpoint.earlier_enabled_events) == 1

    endpoint.subscribe(["refund.created"], at=start + timedelta(days=8))
    assert [e["enabled_events"] for e in endpoint.earlier_enabled_events] == [["payment.captured"]]

    for n in range(150):
        endpoint.subscribe([f"type.{n}"], at=start + timedelta(days=9, seconds=n))
    assert len(endpoint.earlier_enabled_events) == 100
    assert endpoint.enabled_events_at(start + timedelta(days=9, seconds=149)) == ["type.149"]
    assert endpoint.enabled_events_at(start + timedelta(days=9, seconds=148)) == ["type.148"]
