"""Webhooks through real Celery worker processes, Redis and loopback receivers.

T08(c)/T30: workers are SIGKILLed mid-delivery; T07: a slow and a dead endpoint do
not hold up a fast one. The test process commits events the way the API does and
publishes to the broker; `webhooks_sweep_task` is sent every second here, standing
in for beat's minute.
"""

import json
import os
import signal
import statistics
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections
from standardwebhooks import Webhook

from gateway.celery import app
from gateway.logging import request_id_var
from gateway.tests.worker import Worker, publish_to_broker, purge, worker_env
from webhooks.enums import DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.tests.receiver import Reply

PROCFILE = (Path(settings.BASE_DIR) / "Procfile").read_text()

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker():
    workers: list[Worker] = []
    purge()

    def start(*, pool: str = "threads", concurrency: int = 8, **env) -> Worker:
        worker = Worker(pool=pool, concurrency=concurrency, env=worker_env(**env))
        workers.append(worker)
        return worker.wait_ready()

    with publish_to_broker():
        yield start
    for worker in workers:
        worker.discard()
    purge()


def _wait(predicate, timeout: float, *, sweep: bool = False, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    next_sweep = 0.0
    while time.monotonic() < deadline:
        close_old_connections()
        if predicate():
            return
        if sweep and time.monotonic() >= next_sweep:
            app.send_task("webhooks.tasks.webhooks_sweep_task")
            next_sweep = time.monotonic() + 1
        time.sleep(0.05)
    raise AssertionError(f"timed out: {message}")


def test_failing_twice_then_accepting_gives_one_accepted_delivery_and_three_attempts(
    start_worker, make_receiver, make_endpoint, emit
):
    # given
    receiver = make_receiver([Reply(500), Reply(500), Reply(200)])
    issued = make_endpoint(receiver.url())
    worker = start_worker(WEBHOOK_RETRY_SCHEDULE="0,1,1,1")

    # when: the event is written while serving a request
    token = request_id_var.set("req_0123456789abcdef01234567")
    try:
        event = emit()
    finally:
        request_id_var.reset(token)

    # then
    _wait(
        lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists(),
        30,
        message="the delivery never succeeded",
    )
    requests = receiver.requests
    assert [r.headers["webhook-id"] for r in requests] == [event.id] * 3
    for received in requests:
        Webhook(issued.secret).verify(received.body, received.headers)
    # and the worker's lines about it name the request, through the tasks it set off
    failures = [
        json.loads(line)
        for line in worker.output().splitlines()
        if line.startswith("{") and f"Webhook {event.id}" in line
    ]
    assert len(failures) == 2
    assert {line["request_id"] for line in failures} == {"req_0123456789abcdef01234567"}
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.attempt_count == 3
    assert list(delivery.attempts.order_by("number").values_list("status_code", flat=True)) == [
        500,
        500,
        200,
    ]
    assert WebhookAttempt.objects.filter(succeeded=True).count() == 1


@pytest.mark.parametrize("kill", ["worker", "child"])
def test_sigkill_mid_delivery_loses_nothing(start_worker, make_receiver, make_endpoint, emit, kill):
    """T08(c), T30: every event arrives (duplicates allowed, with the same webhook-id);
    no delivery stays `sending` past its lease."""
    # given: a receiver slow enough that deliveries are in flight when the worker dies
    receiver = make_receiver([Reply(200, delay=1.0)])
    issued = make_endpoint(receiver.url())
    options = {"WEBHOOK_DELIVERY_LEASE": "3", "WEBHOOK_DISPATCH_GRACE": "1"}
    pool = {"worker": "threads", "child": "prefork"}[kill]
    first = start_worker(pool=pool, concurrency=4, **options)
    events = [emit() for _ in range(12)]
    _wait(lambda: len(receiver.requests) >= 2, 30, message="no delivery started")

    # when: SIGKILL mid-delivery, then a new worker
    if kill == "worker":
        first.kill()
        start_worker(pool=pool, concurrency=4, **options)
    else:
        for pid in first.children():
            os.kill(pid, signal.SIGKILL)

    # then: a request cut short by the kill is incomplete (a receiver rejects it);
    # every event still arrives whole, and every whole request verifies
    expected = {event.id for event in events}

    def whole():
        return [r for r in receiver.requests if r.complete]

    _wait(
        lambda: (
            expected <= {r.headers["webhook-id"] for r in whole()}
            and WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 12
        ),
        60,
        sweep=True,
        message="some events never arrived",
    )
    for received in whole():
        Webhook(issued.secret).verify(received.body, received.headers)
        assert received.json["id"] == received.headers["webhook-id"]
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING).exists()


def test_t07_a_slow_and_a_dead_endpoint_do_not_delay_a_fast_one(
    start_worker, make_receiver, make_endpoint, emit, canary
):
    """T07, scaled down: 240 events to a fast, a slow (answers after 2 s) and a dead
    endpoint (accepts connections, never answers; the timeout is 3 s). Pass: the fast endpoint's
    p99 delay stays under 5 s, the per-endpoint cap holds, no request outlives the
    timeout."""
    cap, timeout, count = 3, 3.0, 240
    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow_reply(_):
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(2)
        with lock:
            in_flight["now"] -= 1
        return Reply(200)

    fast, slow = make_receiver(), make_receiver(slow_reply)
    make_endpoint(fast.url("/fast"))
    make_endpoint(slow.url("/slow"))
    make_endpoint(f"http://127.0.0.1:{canary.port}/dead")
    worker = start_worker(
        concurrency=16,
        WEBHOOK_ENDPOINT_CONCURRENCY=str(cap),
        WEBHOOK_TIMEOUT=str(timeout),
    )

    created = {}
    started = time.monotonic()
    for _ in range(count):  # about 60 events a second
        event = emit()
        created[event.id] = event.created_at.timestamp()
        time.sleep(max(0.0, started + len(created) / 60 - time.monotonic()))

    _wait(lambda: len(fast.requests) >= count, 30, message="the fast endpoint fell behind")
    delays = sorted(r.at - created[r.headers["webhook-id"]] for r in fast.requests)
    p99 = delays[int(len(delays) * 0.99) - 1]
    assert p99 < 5, (p99, statistics.median(delays), worker.output()[-5000:])
    assert in_flight["max"] <= cap
    attempts = WebhookAttempt.objects.exclude(delivery__endpoint__url__endswith="/fast")
    assert attempts.exists()
    assert max(a.latency_ms for a in attempts) <= (timeout + 1) * 1000


def test_a_worker_run_as_the_procfile_runs_it_writes_json_lines_not_its_banner(start_worker):
    for process in ("worker", "webhooks", "beat"):  # compose runs the same commands
        assert f"{process}: .venv/bin/celery -A gateway --quiet " in PROCFILE
    output = start_worker(LOG_LEVEL="INFO").output()  # the harness runs `--quiet` too

    assert "[queues]" not in output
    assert "-------------- " not in output
    ready = next(line for line in output.splitlines() if " ready." in line)
    assert json.loads(ready)["logger"] == "celery.apps.worker"
