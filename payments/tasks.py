"""Celery entry points for payments: thin wrappers around one service each."""

from celery import shared_task

from payments.providers.base import ProviderError


@shared_task
def provider_operations_resolve_pending_task() -> int:
    from payments.services.resolution import operations_resolve_pending

    return operations_resolve_pending()


@shared_task
def payments_expire_authorizations_task() -> int:
    from payments.services.payments import payments_expire_authorizations

    return payments_expire_authorizations()


@shared_task(
    autoretry_for=(ProviderError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def provider_event_process_task(event_pk: int) -> str:
    from payments.models import ProviderEvent
    from payments.services.provider_events import DONE, provider_event_process

    row = ProviderEvent.objects.filter(pk=event_pk).first()
    if row is None or row.status in DONE:
        return "done"
    return provider_event_process(row)


@shared_task
def provider_events_process_pending_task() -> int:
    from payments.services.provider_events import provider_events_process_pending

    return provider_events_process_pending()


@shared_task
def payments_expire_authentications_task() -> int:
    from payments.services.authentication import payments_expire_authentications

    return payments_expire_authentications()
