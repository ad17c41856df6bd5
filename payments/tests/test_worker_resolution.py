"""A payment whose provider answer was lost is finished by a real Celery worker: the
pending-operation resolver runs in a worker process against Redis, as beat runs it."""

import time

import pytest

from gateway.tests.worker import Worker, publish_to_broker, purge, worker_env
from payments.models import Payment
from payments.tasks import provider_operations_resolve_pending_task
from simulator.models import SimulatedCharge

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait_for_status(payment_id: str, status: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    current = ""
    while time.monotonic() < deadline:
        current = Payment.objects.get(pk=payment_id).status
        if current == status:
            break
        time.sleep(0.2)
    return current


def test_a_real_worker_resolves_a_timed_out_authorization_once(pay):
    # given: the acquirer charged, but its answer was lost
    payment_id = pay(simulate="network_timeout").json()["id"]
    assert Payment.objects.get(pk=payment_id).status == "processing"
    purge("payments")
    worker = Worker(
        pool="solo",
        concurrency=1,
        queues="payments",
        env=worker_env(PROVIDER_OPERATION_RESOLVE_AFTER="0"),
    ).wait_ready()
    try:
        # when: beat's job reaches the worker through the broker (twice, as a retry would)
        with publish_to_broker():
            provider_operations_resolve_pending_task.delay()
            provider_operations_resolve_pending_task.delay()
        status = _wait_for_status(payment_id, "captured")
    finally:
        worker.stop()

    # then
    assert status == "captured", worker.output()[-2000:]
    payment = Payment.objects.get(pk=payment_id)
    assert payment.ledger_transactions.count() == 1
    assert SimulatedCharge.objects.count() == 1
