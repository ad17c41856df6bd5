"""Inbound provider webhooks: store each event once, then process it in the background.

The HTTP handler only verifies the event (signature and age for Stripe, PayPal's own
verification call for PayPal), stores its id, type and object, and answers; a Celery
task later brings the payment in step with the provider (payments.services
.provider_sync), asking the provider for the object instead of trusting the payload.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from payments.enums import ProviderEventStatus
from payments.models import Payment, ProviderAccount, ProviderEvent, ProviderOperation
from payments.providers.base import ProviderError, ProviderWebhookEvent

logger = logging.getLogger(__name__)
DONE = (ProviderEventStatus.PROCESSED, ProviderEventStatus.IGNORED)


def provider_event_record(
    *, account: ProviderAccount, event: ProviderWebhookEvent
) -> ProviderEvent | None:
    """Store a verified event and enqueue its processing after commit.

    None when the event was stored before (a redelivery): it is acknowledged, not
    processed again. The unique (account, event id) constraint decides races.
    """
    from payments.tasks import provider_event_process_task

    try:
        with transaction.atomic():
            row = ProviderEvent.objects.create(
                provider_account=account,
                provider=account.provider,
                event_id=event.id[:255],
                type=event.type[:100],
                object_id=event.object_id[:255],
            )
            transaction.on_commit(lambda: provider_event_process_task.delay(row.pk))
    except IntegrityError:
        logger.info("Duplicate %s event %s acknowledged", account.provider, event.id)
        return None
    return row


def _payment_for(row: ProviderEvent) -> Payment | None:
    if not row.object_id:
        return None
    payment = Payment.objects.filter(
        provider_account=row.provider_account_id, provider_reference=row.object_id
    ).first()
    if payment is not None:
        return payment
    # An authorization whose answer we have not applied yet knows the object already.
    operation = (
        ProviderOperation.objects.filter(
            provider_account=row.provider_account_id, provider_reference=row.object_id
        )
        .select_related("payment")
        .first()
    )
    return operation.payment if operation is not None else None


def provider_event_process(row: ProviderEvent) -> str:
    """Sync the event's payment with the provider; returns the event's new status.

    Raises ProviderError if the provider could not be asked (the task retries).
    """
    from payments.services.provider_sync import payment_sync

    if row.status in DONE:
        return row.status
    ProviderEvent.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    payment = _payment_for(row)
    if payment is None:
        status = ProviderEventStatus.IGNORED
    else:
        try:
            payment_sync(payment)
        except ProviderError as exc:
            ProviderEvent.objects.filter(pk=row.pk).update(
                status=ProviderEventStatus.FAILED, error=str(exc)[:300]
            )
            raise
        status = ProviderEventStatus.PROCESSED
    ProviderEvent.objects.filter(pk=row.pk).update(
        status=status, error="", processed_at=timezone.now()
    )
    return status


def provider_events_process_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Process events left unprocessed (a lost enqueue, a provider that was down)."""
    cutoff = timezone.now() - older_than
    rows = ProviderEvent.objects.filter(
        status__in=[ProviderEventStatus.RECEIVED, ProviderEventStatus.FAILED],
        received_at__lt=cutoff,
    ).order_by("id")[:500]
    processed = 0
    for row in rows:
        try:
            processed += provider_event_process(row) == ProviderEventStatus.PROCESSED
        except ProviderError:
            logger.warning("Provider unreachable for event %s; will retry", row.event_id)
    return processed
