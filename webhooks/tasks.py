"""Celery entry points for webhooks (queue `webhooks`): ids in, one service call.

Every task is idempotent, so `acks_late` redelivery after a worker dies is safe: the
fan-out is guarded by `Event.dispatched_at` and the unique (event, endpoint), and a
delivery task only takes deliveries that are due (or that its own earlier run held).
"""

from celery import shared_task


@shared_task
def webhook_event_dispatch_task(event_id: str) -> int:
    """Outbox consumer (EVENT_OUTBOX_CONSUMERS): fan one committed event out."""
    from webhooks.services import webhook_event_fan_out

    return len(webhook_event_fan_out(event_id=event_id))


@shared_task(bind=True)
def webhook_endpoint_deliver_task(self, endpoint_id: str) -> int:
    """Deliver what is due for one endpoint, within its concurrency cap. The task id is
    the lease token: a run redelivered after its worker died takes its lease back."""
    from webhooks.services import webhook_endpoint_deliver

    return webhook_endpoint_deliver(endpoint_id=endpoint_id, token=self.request.id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_jitter=True, max_retries=5)
def webhook_endpoint_disabled_notify_task(endpoint_id: str) -> None:
    """E-mail the merchant about a disabled endpoint (SMTP hiccups are retried)."""
    from webhooks.services import webhook_endpoint_disabled_notify

    webhook_endpoint_disabled_notify(endpoint_id=endpoint_id)


@shared_task
def webhooks_sweep_task() -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE): re-dispatch and re-wake what was lost."""
    from webhooks.services import webhooks_sweep

    return webhooks_sweep()
