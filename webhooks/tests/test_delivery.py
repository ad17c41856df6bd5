"""Fan-out and delivery against real HTTP receivers on 127.0.0.1 (Celery eager).

Every request a receiver gets is verified with the independent `standardwebhooks`
package, with the secret the API returned.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from gateway.audit import AuditLog
from gateway.events import Event
from merchants.services import merchant_create
from webhooks import schedule
from webhooks.delivery import Outcome
from webhooks.enums import DeliveryStatus, DisabledReason, EndpointStatus
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    Sent,
    _claim,
    _record,
    webhook_endpoint_deliver,
    webhook_event_dispatch,
    webhook_event_resend,
    webhooks_sweep,
)
from webhooks.tasks import webhook_endpoint_deliver_task
from webhooks.tests.receiver import Reply

pytestmark = pytest.mark.django_db

CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040}}


def _verified(received, secret: str) -> dict:
    return Webhook(secret).verify(received.body, received.headers)


def test_a_payment_reaches_a_subscribed_endpoint_signed_and_verifiable(
    test_client, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    issued = make_endpoint(receiver.url(), events=["payment.captured"])

    with django_capture_on_commit_callbacks(execute=True):
        payment = test_client.post(
            "/v1/payments",
            {"amount": 1000, "currency": "usd", "payment_method_data": CARD},
            format="json",
        ).json()

    (received,) = receiver.wait_for(1)
    body = _verified(received, issued.secret)
    event = Event.objects.get(object_id=payment["id"], type="payment.captured")
    assert body == test_client.get(f"/v1/events/{event.id}").json()  # as Stripe's
    assert body["id"] == event.id == received.headers["webhook-id"]
    assert body["type"] == "payment.captured"
    assert body["livemode"] is False
    assert body["data"]["object"] == test_client.get(f"/v1/payments/{payment['id']}").json()
    assert received.headers["content-type"] == "application/json"
    assert received.headers["host"] == f"127.0.0.1:{receiver.port}"
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert event.__class__.objects.get(pk=event.pk).dispatched_at is not None


def test_events_go_only_to_the_same_merchant_and_mode_and_subscribed_types(
    make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    # given: four endpoints, of which only one should hear a test-mode payment.captured
    wanted, other_type, other_mode, other_merchant = (make_receiver() for _ in range(4))
    make_endpoint(wanted.url(), events=["payment.captured", "refund.created"])
    make_endpoint(other_type.url(), events=["refund.created"])
    make_endpoint(other_mode.url(), events=["*"], livemode=False).endpoint  # noqa: B018
    WebhookEndpoint.objects.filter(url=other_mode.url()).update(livemode=True)
    intruder, _ = merchant_create(name="Other", email="o@other.test", actor="test")
    make_endpoint(other_merchant.url(), events=["*"], owner=intruder)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        event = emit("payment.captured")

    # then
    assert [r.headers["webhook-id"] for r in wanted.wait_for(1)] == [event.id]
    for receiver in (other_type, other_mode, other_merchant):
        assert receiver.requests == []
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_failures_are_retried_with_the_same_id_until_accepted(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks, caplog
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0, 0]
    receiver = make_receiver([Reply(500), Reply(500), Reply(200)])
    issued = make_endpoint(receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    requests = receiver.wait_for(3)
    assert [r.headers["webhook-id"] for r in requests] == [event.id] * 3
    for received in requests:
        _verified(received, issued.secret)
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 3
    attempts = list(delivery.attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 500, 200], [a.error for a in attempts]
    assert [a.succeeded for a in attempts] == [False, False, True]
    assert all(a.latency_ms >= 0 and a.started_at for a in attempts)
    assert attempts[0].error == "HTTP 500"
    failures = [r.getMessage() for r in caplog.records if r.name == "webhooks.services"]
    assert failures == [
        f"Webhook {event.id} to endpoint {issued.endpoint.id} failed (attempt {n}: 500); "
        "next attempt in 0 s"
        for n in (1, 2)
    ]


def test_an_attempt_keeps_only_the_first_kilobyte_of_the_answer(
    receiver, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    chatty = make_receiver([Reply(200, body=b"x" * 5000)])
    make_endpoint(chatty.url())

    with django_capture_on_commit_callbacks(execute=True):
        emit()

    assert len(WebhookAttempt.objects.get().response_body) == 1024


def test_after_the_last_retry_the_delivery_has_failed(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    receiver = make_receiver([Reply(503)])
    make_endpoint(receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    delivery = WebhookDelivery.objects.get(event=event)
    assert len(receiver.requests) == 3
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts.count() == 3
    assert WebhookEndpoint.objects.get().status == EndpointStatus.ENABLED


def test_410_disables_the_endpoint_at_once_and_tells_the_merchant(
    settings, make_receiver, make_endpoint, emit, merchant, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT = 7.5
    gone = make_receiver([Reply(410)])
    watcher = make_receiver()
    make_endpoint(gone.url(), events=["payment.captured"])
    make_endpoint(watcher.url(), events=["webhook_endpoint.disabled"])

    with django_capture_on_commit_callbacks(execute=True):
        emit()

    endpoint = WebhookEndpoint.objects.get(url=gone.url())
    assert len(gone.requests) == 1
    assert endpoint.status == EndpointStatus.DISABLED
    assert endpoint.disabled_reason == DisabledReason.GONE
    (notice,) = watcher.wait_for(1)
    assert notice.json["type"] == "webhook_endpoint.disabled"
    assert notice.json["data"]["object"]["id"] == endpoint.id
    assert notice.json["data"]["object"]["status"] == "disabled"
    assert "secret" not in notice.json["data"]["object"]
    (message,) = mail.outbox
    assert message.to == [merchant.email]
    assert endpoint.id in message.subject
    assert endpoint.url in message.body
    assert "2xx status within 7.5 seconds" in message.body
    assert AuditLog.objects.filter(action="webhook_endpoint.disabled").count() == 1


def test_redirects_are_failures_and_never_followed(
    settings, make_receiver, make_endpoint, emit, canary, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    redirecting = make_receiver(
        [Reply(302, headers={"Location": f"http://127.0.0.1:{canary.port}/steal"})]
    )
    make_endpoint(redirecting.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code == 302
    assert not attempt.succeeded
    assert "not followed" in attempt.error
    assert canary.connections == 0


def test_retry_after_on_429_pushes_the_next_attempt_later(
    make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    receiver = make_receiver([Reply(429, headers={"Retry-After": "120"})])
    make_endpoint(receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    delivery = WebhookDelivery.objects.get(event=event)
    wait = (delivery.next_attempt_at - delivery.attempts.get().started_at).total_seconds()
    assert delivery.status == DeliveryStatus.PENDING
    assert 119 <= wait <= 122  # the schedule alone would say 5 s


def test_a_slow_receiver_times_out_and_the_worker_moves_on(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    slow = make_receiver([Reply(200, delay=2)])
    make_endpoint(slow.url())

    with django_capture_on_commit_callbacks(execute=True):
        event = emit()

    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code is None
    assert "timeout" in attempt.error
    assert 400 <= attempt.latency_ms < 1500


def test_an_endpoint_failing_for_the_whole_window_is_disabled(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    down = make_receiver([Reply(500)])
    issued = make_endpoint(down.url())
    start = timezone.now()

    with time_machine.travel(start, tick=True) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            emit()
        traveller.shift(timedelta(days=4, hours=23))
        with django_capture_on_commit_callbacks(execute=True):
            emit()
        assert WebhookEndpoint.objects.get().status == EndpointStatus.ENABLED
        traveller.shift(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            emit()

    endpoint = WebhookEndpoint.objects.get(pk=issued.endpoint.pk)
    assert endpoint.status == EndpointStatus.DISABLED
    assert endpoint.disabled_reason == DisabledReason.FAILING
    assert len(mail.outbox) == 1


def test_a_success_resets_the_failing_window(
    settings, make_receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    flaky = make_receiver([Reply(500), Reply(200), Reply(500)])
    make_endpoint(flaky.url())

    with time_machine.travel(timezone.now(), tick=True) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            emit()
        assert WebhookEndpoint.objects.get().failing_since is not None
        traveller.shift(timedelta(days=3))
        with django_capture_on_commit_callbacks(execute=True):
            emit()
        assert WebhookEndpoint.objects.get().failing_since is None
        traveller.shift(timedelta(days=3))
        with django_capture_on_commit_callbacks(execute=True):
            emit()

    assert WebhookEndpoint.objects.get().status == EndpointStatus.ENABLED


def test_the_concurrency_cap_holds_per_endpoint(settings, receiver, make_endpoint, emit):
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 3
    endpoint = make_endpoint(receiver.url()).endpoint
    other = make_endpoint(receiver.url("/other")).endpoint
    events = [emit() for _ in range(5)]
    for event in events:
        webhook_event_dispatch(event_id=event.id)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())

    first = _claim(endpoint_id=endpoint.id, token="a", reclaim=False)
    second = _claim(endpoint_id=endpoint.id, token="b", reclaim=False)
    third = _claim(endpoint_id=endpoint.id, token="c", reclaim=False)

    assert [c.event_id for c in first.claims] == [e.id for e in events[:3]]  # oldest first
    assert second is None  # the cap is taken by the first sender's batch
    assert third is None
    assert len(_claim(endpoint_id=other.id, token="d", reclaim=False).claims) == 3
    sending = WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.SENDING)
    assert sending.count() == 3


def test_the_sweeper_dispatches_events_whose_message_was_lost(
    settings, receiver, make_endpoint, emit, django_capture_on_commit_callbacks
):
    """T08(b): the process dies after the commit, before the outbox message is sent."""
    make_endpoint(receiver.url())
    settings.EVENT_OUTBOX_CONSUMERS = {}  # the on-commit message never leaves
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    settings.EVENT_OUTBOX_CONSUMERS = {"webhooks.tasks.webhook_event_dispatch_task": None}
    assert Event.objects.get(pk=event.pk).dispatched_at is None

    with django_capture_on_commit_callbacks(execute=True):
        early = webhooks_sweep()
    later = timezone.now() + timedelta(seconds=61)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        late = webhooks_sweep()

    assert early["dispatched"] == 0
    assert late["dispatched"] == 1
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == [event.id]
    assert WebhookDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED


def test_the_sweeper_recovers_a_delivery_whose_worker_died(settings, receiver, make_endpoint, emit):
    """A lease that expired (its worker was killed) becomes due again: same webhook-id."""
    endpoint = make_endpoint(receiver.url()).endpoint
    event = emit()
    webhook_event_dispatch(event_id=event.id)
    assert _claim(endpoint_id=endpoint.id, token="dead-worker", reclaim=False)

    lease_expired = timezone.now() + timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE + 1)
    with time_machine.travel(lease_expired):
        result = webhooks_sweep()
        webhook_endpoint_deliver(endpoint_id=endpoint.id)

    assert result["recovered"] == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.id]
    assert WebhookDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED


def test_a_redelivered_task_takes_back_its_own_lease_at_once(receiver, make_endpoint, emit):
    endpoint = make_endpoint(receiver.url()).endpoint
    event = emit()
    webhook_event_dispatch(event_id=event.id)
    assert _claim(endpoint_id=endpoint.id, token="task-1", reclaim=True)

    webhook_endpoint_deliver(endpoint_id=endpoint.id, token="task-1")

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(event=event).status == DeliveryStatus.SUCCEEDED


def test_a_resend_while_an_attempt_is_in_flight_sends_again_now(receiver, make_endpoint, emit):
    # given: a sender holds the delivery, mid-request
    endpoint = make_endpoint(receiver.url()).endpoint
    event = emit()
    webhook_event_dispatch(event_id=event.id)
    assert _claim(endpoint_id=endpoint.id, token="in-flight", reclaim=False)

    # when
    webhook_event_resend(event=event, endpoint=endpoint, actor="test")
    webhook_endpoint_deliver(endpoint_id=endpoint.id)

    # then: sent at once, with a fresh schedule, not left to the stalled sender
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.id]
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.schedule_step) == (DeliveryStatus.SUCCEEDED, 0)


def test_resends_made_while_the_delivery_waits_join_it(receiver, make_endpoint, emit):
    # given: an event waiting to go out to an endpoint
    endpoint = make_endpoint(receiver.url()).endpoint
    event = emit()
    webhook_event_dispatch(event_id=event.id)

    # when: it is resent twice before a sender runs
    for _ in range(2):
        webhook_event_resend(event=event, endpoint=endpoint, actor="test")
    webhook_endpoint_deliver(endpoint_id=endpoint.id)

    # then: the endpoint gets it once; each resend is audited
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.id]
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)
    assert AuditLog.objects.filter(action="webhook_delivery.resent").count() == 2


def test_a_success_counts_once_when_another_sender_took_part_of_the_batch(
    receiver, make_endpoint, emit
):
    # given: two deliveries leased to one sender, one of which the sweeper handed on
    endpoint = make_endpoint(receiver.url()).endpoint
    for event in (emit(), emit()):
        webhook_event_dispatch(event_id=event.id)
    with transaction.atomic():
        batch = _claim(endpoint_id=endpoint.id, token="sender-a", reclaim=False)
    kept, lost = batch.claims
    WebhookDelivery.objects.filter(pk=lost.delivery_id).update(claimed_by="sender-b")
    now = timezone.now()
    sents = [Sent(claim, now, int(now.timestamp()), Outcome(200, 5)) for claim in batch.claims]

    # when: both sends succeeded
    _record(batch, sents, token="sender-a", claim_next=False)

    # then: the one still leased counts once, with one attempt row
    delivery = WebhookDelivery.objects.get(pk=kept.delivery_id)
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.SUCCEEDED, 1)
    assert WebhookAttempt.objects.filter(delivery_id=kept.delivery_id).count() == 1
    assert WebhookDelivery.objects.get(pk=lost.delivery_id).attempt_count == 0


def test_during_a_rotation_both_secrets_sign(
    test_client, receiver, django_capture_on_commit_callbacks, emit
):
    created = test_client.post(
        "/v1/webhook_endpoints",
        {"url": receiver.url(), "enabled_events": ["*"]},
        format="json",
    ).json()
    rotated = test_client.post(f"/v1/webhook_endpoints/{created['id']}/rotate_secret").json()

    with django_capture_on_commit_callbacks(execute=True):
        emit()

    (received,) = receiver.wait_for(1)
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    _verified(received, created["secret"])
    _verified(received, rotated["secret"])


def test_each_retry_gets_a_wake_up_at_its_own_time(
    receiver, make_endpoint, emit, monkeypatch, django_capture_on_commit_callbacks
):
    # given: a batch of two sends that failed, whose jittered retry delays differ
    endpoint = make_endpoint(receiver.url()).endpoint
    for event in (emit(), emit()):
        webhook_event_dispatch(event_id=event.id)
    with transaction.atomic():
        batch = _claim(endpoint_id=endpoint.id, token="sender", reclaim=False)
    now = timezone.now()
    sents = [Sent(claim, now, int(now.timestamp()), Outcome(500, 5)) for claim in batch.claims]
    delays = iter([3.04, 3.31])
    monkeypatch.setattr(schedule, "delay_after_failure", lambda step, retry_after: next(delays))
    woken = []
    monkeypatch.setattr(
        webhook_endpoint_deliver_task,
        "apply_async",
        lambda args, countdown: woken.append(countdown),
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _record(batch, sents, token="sender", claim_next=False)

    # then: neither is left for the sweeper
    assert sorted(woken) == [3.1, 3.4]
