"""Manual review (SPEC §9): approving or rejecting a payment fraud screening held.

A held payment is already authorized with the provider. Approving captures it
(automatic capture) or leaves it authorized (manual capture); rejecting voids the
authorization and cancels the payment as `fraudulent`. Each decision is audited with
who and why; the review closes (`review.closed`) in the transaction that moves the
payment.
"""

from django.db import transaction

from fraud.enums import ReviewStatus
from gateway.audit import audit_record
from merchants.permissions import check_takes_payments
from payments.enums import CancellationReason, CaptureMethod, OperationKind, PaymentStatus
from payments.errors import PaymentUnexpectedState
from payments.models import Payment
from payments.services.operations import operation_apply, operation_call
from payments.services.payments import (
    _locked,
    _reserve_exclusive,
    apply_capture,
    apply_void,
    check_authorization_unexpired,
    payment_save_and_emit,
)
from payments.services.screening import review_close

S = PaymentStatus


def _locked_in_review(payment: Payment, *, actor: str, action: str, reason: str) -> Payment:
    payment = _locked(payment)
    if payment.status != S.IN_REVIEW:
        raise PaymentUnexpectedState(
            f"This payment's status is {payment.status}; it is not held for review."
        )
    audit_record(
        actor=actor, action=action, obj=payment, reason=reason, merchant_id=payment.merchant_id
    )
    return payment


def payment_review_approve(*, payment: Payment, actor: str, reason: str) -> Payment:
    """Release a held payment: captured (automatic capture) or authorized (manual).
    A suspended merchant's held payments stay held: releasing one takes money in."""
    check_takes_payments(payment.merchant)
    with transaction.atomic():
        payment = _locked_in_review(
            payment, actor=actor, action="payment.review_approved", reason=reason
        )
        if payment.capture_method == CaptureMethod.MANUAL:
            authorized_at = payment.authorized_at
            payment.authorize(provider_reference=payment.provider_reference)
            payment.authorized_at = authorized_at  # the capture window runs from the provider's
            payment_save_and_emit(payment)
            review_close(payment, status=ReviewStatus.APPROVED)
            return payment
        check_authorization_unexpired(payment)
        operation = _reserve_exclusive(
            payment, kind=OperationKind.CAPTURE, amount_minor=payment.amount_capturable_minor
        )
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_capture)
    payment.refresh_from_db()
    return payment


def payment_review_reject(*, payment: Payment, actor: str, reason: str) -> Payment:
    """Refuse a held payment: its authorization is voided, the payment `canceled` with
    reason `fraudulent`."""
    with transaction.atomic():
        payment = _locked_in_review(
            payment, actor=actor, action="payment.review_rejected", reason=reason
        )
        operation = _reserve_exclusive(
            payment, kind=OperationKind.VOID, reason=CancellationReason.FRAUDULENT
        )
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_void)
    payment.refresh_from_db()
    return payment
