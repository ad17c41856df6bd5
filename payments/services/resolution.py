"""Resolving provider operations left without an answer (timeouts, crashes)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from payments import vault
from payments.enums import OperationKind, OperationStatus
from payments.models import ProviderOperation
from payments.providers.base import Outcome, ProviderError, ProviderResult
from payments.services.operations import operation_apply, operation_call, sends_card
from payments.services.payments import apply_authorization, apply_capture, apply_void
from payments.services.provider_accounts import provider_for
from payments.services.refunds import apply_refund

logger = logging.getLogger(__name__)

APPLIERS = {
    OperationKind.AUTHORIZE: apply_authorization,
    OperationKind.AUTHENTICATE: apply_authorization,
    OperationKind.CAPTURE: apply_capture,
    OperationKind.VOID: apply_void,
    OperationKind.REFUND: apply_refund,
}


def operation_resolve(operation: ProviderOperation) -> bool:
    """Ask the provider what became of the operation, and apply it.

    The provider is asked first, by our idempotency key; only if it never received the
    call is it sent again, with the same key. An operation whose provider shows it was
    never carried out, PROVIDER_OPERATION_GIVE_UP_AFTER after it was reserved, is failed
    instead: no call of it can still be on its way, and none is sent again (Stripe
    answers a resend with the 5xx it stored under the key until it forgets the key, a
    day later, and would then carry it out late). Returns True if it was applied.
    """
    reference = operation.provider_reference
    if not reference and operation.kind != OperationKind.AUTHORIZE:
        reference = operation.payment.provider_reference
    provider = provider_for(operation.provider_account)
    try:
        result = provider.lookup(
            idempotency_key=operation.idempotency_key, kind=operation.kind, reference=reference
        )
    except ProviderError:
        logger.warning("Provider %s unreachable while resolving %s", operation.provider, operation)
        return False
    never_carried_out = result is None and provider.lookup_proves_absence(
        kind=operation.kind, reference=reference
    )
    if never_carried_out and _past_giving_up(operation):
        logger.warning("Giving up %s: its provider never carried it out", operation)
        result = NEVER_CARRIED_OUT
    if result is None:  # it never arrived: send it again, under the same key
        _reserve_another_attempt(operation)
        result = operation_call(operation)
        if result is None:
            return False
    return operation_apply(operation, result, APPLIERS[operation.kind])


NEVER_CARRIED_OUT = ProviderResult(
    Outcome.FAILED,
    decline_code="processing_error",
    message="The payment provider never carried this out. Try again.",
)


def _past_giving_up(operation: ProviderOperation) -> bool:
    age = timezone.now() - operation.created_at
    return age > timedelta(seconds=settings.PROVIDER_OPERATION_GIVE_UP_AFTER)


@transaction.atomic
def _reserve_another_attempt(operation: ProviderOperation) -> None:
    ProviderOperation.objects.filter(pk=operation.pk).update(attempts=F("attempts") + 1)
    if sends_card(operation):
        operation.refresh_from_db(fields=["attempts"])
        vault.audit_detokenize(operation)


def operations_finish(operations) -> None:
    """Resolve those of `operations` still pending: what a retry of the request that
    reserved them (its first attempt died or answered 5xx) does before answering."""
    for operation in operations.filter(status=OperationStatus.PENDING):
        operation_resolve(operation)


def operations_resolve_pending(*, older_than: timedelta | None = None) -> int:
    """Resolve every operation pending for longer than `older_than`; returns how many."""
    if older_than is None:
        older_than = timedelta(seconds=settings.PROVIDER_OPERATION_RESOLVE_AFTER)
    pending = ProviderOperation.objects.filter(
        status=OperationStatus.PENDING, created_at__lt=timezone.now() - older_than
    ).select_related("payment__payment_method", "provider_account")
    resolved = 0
    for operation in pending.iterator(chunk_size=100):
        try:
            resolved += operation_resolve(operation)
        except Exception:  # one broken operation must not hold up every later one
            logger.exception("Could not resolve %s; the next run tries again", operation)
    return resolved
