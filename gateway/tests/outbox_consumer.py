"""A stand-in outbox consumer for the kernel's own tests (the real one is webhooks')."""

from celery import shared_task

received: list[str] = []


@shared_task(name="gateway.tests.outbox_consumer.record_task")
def record_task(event_id: str) -> None:
    received.append(event_id)


def wants_nothing(*, merchant_id: str, livemode: bool, type: str) -> bool:
    return False


def broken_filter(*, merchant_id: str, livemode: bool, type: str) -> bool:
    raise ConnectionError("the filter's store is down")
