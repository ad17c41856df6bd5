"""Celery entry points for fraud screening."""

from celery import shared_task


@shared_task
def fraud_counters_purge_task() -> int:
    """Drop velocity events older than the longest window (embedded default only:
    Redis keys expire by themselves)."""
    from django.utils import timezone

    from fraud.counters import DatabaseCounters

    return DatabaseCounters.purge(now=timezone.now())
