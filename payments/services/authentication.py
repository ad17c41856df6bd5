"""3-D Secure: the cardholder's answer on our hosted challenge page, and challenges
nobody answered.

Completing a challenge is a provider operation like any other: reserve (the payment
moves from `requires_action` to `processing`), call the provider outside any
transaction, apply its answer (authorized or captured, held for review, or failed).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.enums import CancellationReason, OperationKind, OperationStatus, PaymentStatus
from payments.errors import OperationInProgress, PaymentUnexpectedState
from payments.models import Payment
from payments.services.operations import (
    CHALLENGE_APPROVED,
    CHALLENGE_FAILED,
    operation_apply,
    operation_call,
)
from payments.services.payments import (
    _locked,
    _reserve_exclusive,
    apply_authorization,
    payment_cancel,
    payment_save_and_emit,
)

S = PaymentStatus


def payment_authenticate(*, payment: Payment, approved: bool) -> Payment:
    """Finish the payment's 3-D Secure challenge, approved or failed by the cardholder.

    Only a payment in `requires_action` can be authenticated, once (the operation's
    idempotency key is per payment), and not while a cancel's void waits on the
    provider (OperationInProgress). Emits `payment.processing`, then the event of the
    provider's answer.
    """
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status != S.REQUIRES_ACTION:
            raise PaymentUnexpectedState(
                f"This payment's status is {payment.status}; it is not awaiting authentication."
            )
        payment.begin_authentication()
        payment_save_and_emit(payment)
        operation = _reserve_exclusive(  # a cancel's void may be waiting on the provider
            payment,
            kind=OperationKind.AUTHENTICATE,
            reason=CHALLENGE_APPROVED if approved else CHALLENGE_FAILED,
        )
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_authorization)
    payment.refresh_from_db()
    return payment


def payments_expire_authentications() -> int:
    """Cancel payments whose challenge was left unanswered for THREE_D_SECURE_TIMEOUT
    seconds (cancellation reason `abandoned`); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.THREE_D_SECURE_TIMEOUT)
    abandoned = Payment.objects.filter(
        status=S.REQUIRES_ACTION,
        operations__kind=OperationKind.AUTHORIZE,
        operations__status=OperationStatus.REQUIRES_ACTION,
        operations__resolved_at__lte=cutoff,
    )
    canceled = 0
    for payment in abandoned.iterator(chunk_size=100):
        try:
            payment = payment_cancel(payment=payment, reason=CancellationReason.ABANDONED)
        except (PaymentUnexpectedState, OperationInProgress):
            continue  # the cardholder answered meanwhile
        canceled += payment.status == S.CANCELED
    return canceled
