"""Refunds: reserve the amount, ask the provider, apply the answer.

The payment row is locked while a refund reserves its amount, and the reservation is
counted in `amount_refunded`, so succeeded plus pending refunds can never exceed what
was captured, however many requests race (a CHECK constraint guards it as well).
"""

from django.db import transaction
from django.db.models import Sum

from gateway.events import event_emit
from payments.enums import OperationKind, PaymentStatus, RefundStatus
from payments.errors import AmountTooLarge, PaymentUnexpectedState
from payments.ledger import Account, TransactionType, ledger_post
from payments.models import Payment, ProviderOperation, Refund
from payments.providers.base import ProviderResult
from payments.representations import refund_snapshot
from payments.services.operations import operation_apply, operation_call, operation_reserve
from payments.services.payments import payment_save_and_emit


class RefundLimitExceeded(ValueError):
    """The caller may not refund that much of the payment in all."""


# `refunded` is a final state (SPEC §4): a refund of it is a state error, like a second
# capture. While the last refunds are still pending the payment is not refunded yet,
# and asking for more than they leave is `amount_too_large`.
REFUNDABLE = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)


def _refund_save_and_emit(refund: Refund, *, event_type: str = "") -> None:
    refund.save()
    event_emit(
        type=event_type or f"refund.{refund.status}",
        snapshot=refund_snapshot(refund),
        merchant_id=refund.merchant_id,
        livemode=refund.livemode,
    )


def apply_refund(operation: ProviderOperation, result: ProviderResult) -> None:
    payment = Payment.objects.select_for_update().get(pk=operation.payment_id)
    refund = Refund.objects.select_for_update().get(pk=operation.refund_id)
    if result.succeeded:
        refund.succeed(provider_reference=result.reference)
        _refund_save_and_emit(refund)
        succeeded = Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).aggregate(
            total=Sum("amount_minor")
        )["total"]
        payment.settle_refund(refunded_succeeded_minor=succeeded)
        payment_save_and_emit(payment)
        ledger_post(
            merchant_id=payment.merchant_id,
            livemode=payment.livemode,
            type=TransactionType.REFUND,
            currency=payment.currency,
            source_id=refund.id,
            payment=payment,
            entries=[
                (Account.MERCHANT_PENDING, refund.amount_minor),
                (Account.PROVIDER_CLEARING, -refund.amount_minor),
            ],
        )
    else:
        refund.fail(reason=result.message or result.decline_code or "provider_declined")
        _refund_save_and_emit(refund)
        payment.amount_refunded_minor -= refund.amount_minor
        payment.save(update_fields=["amount_refunded_minor"])


def refund_create(
    *,
    payment: Payment,
    amount_minor: int | None = None,
    reason: str = "",
    metadata: dict | None = None,
    idempotency_key=None,
    refunded_limit_minor: int | None = None,
) -> Refund:
    """Refund all that is left of a captured payment, or part of it.

    Emits `refund.created`, then `refund.succeeded` with `payment.refunded` or
    `payment.partially_refunded` (and a ledger posting), or `refund.failed`.
    A provider timeout leaves the refund `pending` for the resolver. A repeat under
    the same Idempotency-Key (its first attempt died, or answered 5xx) resumes the
    refund that attempt made instead of making another. `refunded_limit_minor` caps
    what the payment may have refunded in all once this refund is counted (a staff
    role's limit), checked under the payment's lock.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        # Under the payment's lock, where refunds take turns: a request that held this
        # Idempotency-Key before (it died, or was slow and its claim went stale) has made
        # its refund by now, or will find this one when it gets here.
        earlier = (
            Refund.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key is not None
            else None
        )
        if earlier is None:
            operation = _refund_reserve(
                payment,
                amount_minor=amount_minor,
                reason=reason,
                metadata=metadata,
                idempotency_key=idempotency_key,
                refunded_limit_minor=refunded_limit_minor,
            )
    if earlier is not None:
        return _refund_resume(earlier)
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_refund)
    operation.refund.refresh_from_db()
    return operation.refund


def _refund_reserve(
    payment: Payment,
    *,
    amount_minor: int | None,
    reason: str,
    metadata: dict | None,
    idempotency_key,
    refunded_limit_minor: int | None,
) -> ProviderOperation:
    """Check the refund against the locked payment, write it (pending) and reserve
    its provider operation."""
    if payment.status == PaymentStatus.REFUNDED:
        raise PaymentUnexpectedState("This payment has already been fully refunded.")
    if payment.status not in REFUNDABLE:
        raise PaymentUnexpectedState(
            f"This payment's status is {payment.status}; only captured payments can be refunded."
        )
    refundable = payment.amount_refundable_minor
    if refundable == 0:
        raise AmountTooLarge(
            "Nothing remains refundable on this payment: its refunds (succeeded or "
            "pending) already cover the captured amount."
        )
    amount = refundable if amount_minor is None else amount_minor
    if amount > refundable or amount <= 0:
        raise AmountTooLarge(
            f"The refund amount ({amount}) is greater than what remains refundable on "
            f"the payment ({refundable})."
        )
    refunded = payment.amount_refunded_minor + amount
    if refunded_limit_minor is not None and refunded > refunded_limit_minor:
        raise RefundLimitExceeded(
            f"This would refund {refunded} of the payment in all, above the "
            f"{refunded_limit_minor} you may refund."
        )
    refund = Refund(
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        payment=payment,
        amount_minor=amount,
        currency=payment.currency,
        reason=reason,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
    )
    _refund_save_and_emit(refund, event_type="refund.created")
    payment.amount_refunded_minor += amount
    payment.save(update_fields=["amount_refunded_minor"])
    return operation_reserve(
        payment=payment,
        kind=OperationKind.REFUND,
        amount_minor=amount,
        refund=refund,
        first_of_kind=True,
    )


def _refund_resume(refund: Refund) -> Refund:
    """Finish what an earlier attempt left pending, then return the refund."""
    from payments.services.resolution import operations_finish

    operations_finish(refund.operations)
    refund.refresh_from_db()
    return refund
