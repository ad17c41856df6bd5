"""Thin Celery entry points for the shared kernel; the work is in the services."""

from celery import shared_task

from gateway.idempotency import idempotency_keys_purge


@shared_task
def idempotency_keys_purge_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): drop Idempotency-Keys past their 24 h retention."""
    return idempotency_keys_purge()
