"""T06: a receiver down for hours, on a simulated clock (time-machine)."""

from datetime import timedelta
from itertools import pairwise

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from webhooks import schedule
from webhooks.enums import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_deliver, webhook_event_dispatch
from webhooks.tests.receiver import Reply

pytestmark = pytest.mark.django_db

SPEC_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_the_default_schedule_is_the_specs():
    from django.conf import settings

    assert settings.WEBHOOK_RETRY_SCHEDULE == SPEC_SCHEDULE


@pytest.mark.parametrize("step", range(1, len(SPEC_SCHEDULE)))
def test_jitter_stays_within_ten_percent(settings, step):
    settings.WEBHOOK_RETRY_SCHEDULE = SPEC_SCHEDULE
    delays = [schedule.delay_after_failure(step) for _ in range(200)]

    assert all(0.9 * SPEC_SCHEDULE[step] <= d <= 1.1 * SPEC_SCHEDULE[step] for d in delays)
    assert SPEC_SCHEDULE[step] == 0 or len(set(delays)) > 1


def test_retry_after_is_capped_at_a_day(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = SPEC_SCHEDULE

    assert schedule.delay_after_failure(1, retry_after=10 * 86400) == 86400
    assert schedule.delay_after_failure(len(SPEC_SCHEDULE)) is None


def test_t06_a_receiver_down_for_six_hours_gets_everything_once_it_is_back(
    settings, make_receiver, make_endpoint, emit
):
    # given: two endpoints on a receiver that answers 503 until it is switched back on
    settings.WEBHOOK_RETRY_SCHEDULE = SPEC_SCHEDULE
    state = {"up": False}
    receiver = make_receiver(lambda _: Reply(200) if state["up"] else Reply(503))
    endpoints = [make_endpoint(receiver.url(f"/e{i}")) for i in range(2)]
    start = timezone.now()

    with time_machine.travel(start, tick=False) as clock:
        events = [emit() for _ in range(3)]
        for event in events:
            webhook_event_dispatch(event_id=event.id)

        # when: the clock runs from one due retry to the next for 6 h, then the receiver
        # recovers, and the clock runs on until nothing is waiting
        while True:
            for issued in endpoints:
                webhook_endpoint_deliver(endpoint_id=issued.endpoint.id)
            waiting = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
            if not waiting.exists():
                break
            clock.move_to(min(d.next_attempt_at for d in waiting))
            if timezone.now() - start >= timedelta(hours=6):
                state["up"] = True

    # then: every attempt followed the schedule within the jitter
    for delivery in WebhookDelivery.objects.all():
        times = [a.started_at for a in delivery.attempts.order_by("number")]
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(times)]
        assert len(gaps) == 5  # 2.6 h of retries while down, then the 7.6 h one succeeds
        for step, gap in enumerate(gaps, start=1):
            assert 0.9 * SPEC_SCHEDULE[step] <= gap <= 1.1 * SPEC_SCHEDULE[step], (step, gap)
        assert delivery.status == DeliveryStatus.SUCCEEDED
    # the same webhook-id on every attempt, with a fresh timestamp and signature each time
    for event in events:
        for issued in endpoints:
            path = issued.endpoint.url.rsplit(":", 1)[1].split("/", 1)[1]
            got = [r for r in receiver.requests if r.headers["webhook-id"] == event.id]
            got = [r for r in got if r.path == f"/{path}"]
            assert len(got) == 6
            assert len({r.headers["webhook-timestamp"] for r in got}) == 6
            assert len({r.headers["webhook-signature"] for r in got}) == 6
            with time_machine.travel(int(got[-1].headers["webhook-timestamp"]), tick=False):
                Webhook(issued.secret).verify(got[-1].body, got[-1].headers)
    # once back, each event reached each endpoint exactly once with a 2xx
    accepted = [r for r in receiver.requests if r.at >= (start + timedelta(hours=6)).timestamp()]
    assert len(accepted) == len(events) * len(endpoints)
    assert len({(r.path, r.headers["webhook-id"]) for r in accepted}) == len(accepted)


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"WEBHOOK_RETRY_SCHEDULE": []}, "webhooks.E001"),
        ({"WEBHOOK_RETRY_SCHEDULE": [0, -5]}, "webhooks.E001"),
        ({"WEBHOOK_DELIVERY_LEASE": 15, "WEBHOOK_TIMEOUT": 15}, "webhooks.E002"),
        ({"WEBHOOK_ENDPOINT_CONCURRENCY": 0}, "webhooks.E003"),
    ],
)
def test_unsafe_webhook_settings_fail_the_system_checks(settings, overrides, error):
    from webhooks.checks import webhook_settings

    for name, value in overrides.items():
        setattr(settings, name, value)

    assert [e.id for e in webhook_settings(None)] == [error]
