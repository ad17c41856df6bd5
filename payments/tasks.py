"""Celery entry points for payments: thin wrappers around one service each."""

from celery import shared_task


@shared_task
def provider_operations_resolve_pending_task() -> int:
    from payments.services.resolution import operations_resolve_pending

    return operations_resolve_pending()


@shared_task
def payments_expire_authorizations_task() -> int:
    from payments.services.payments import payments_expire_authorizations

    return payments_expire_authorizations()


@shared_task
def payments_expire_authentications_task() -> int:
    from payments.services.authentication import payments_expire_authentications

    return payments_expire_authentications()
