"""Bringing a payment in step with what its provider says now.

Used by inbound provider webhooks and by the page the customer returns to from the
provider (PayPal approval, Stripe 3-D Secure). It never trusts what an event says:
it resolves pending operations by asking the provider (lookup first, same key on a
resend), then reads the provider's current view of the payment and moves ours to
match. Every step checks the state under the payment's row lock, so running it
twice, concurrently, or for events that arrive out of order, converges on the
provider's state and changes nothing more.
"""

import logging

from django.db import transaction

from payments.enums import CaptureMethod, OperationKind, OperationStatus, PaymentStatus
from payments.errors import OperationInProgress
from payments.models import Payment
from payments.providers.base import ProviderPaymentState
from payments.services.operations import operation_apply, operation_call
from payments.services.payments import (
    _record_capture,
    _reserve_exclusive,
    apply_capture,
    payment_save_and_emit,
)
from payments.services.provider_accounts import provider_for
from payments.services.resolution import operation_resolve
from payments.services.screening import holds_for_review, review_open

logger = logging.getLogger(__name__)
S = PaymentStatus


def payment_sync(payment: Payment) -> Payment:
    """Converge the payment (and the refunds made through us) on the provider's state.

    Raises ProviderError when the provider cannot be asked (the caller retries).
    """
    for operation in payment.operations.filter(status=OperationStatus.PENDING).select_related(
        "provider_account", "payment__payment_method"
    ):
        operation_resolve(operation)
    payment.refresh_from_db()
    provider = provider_for(payment.provider_account)
    read_state = getattr(provider, "payment_state", None)
    if read_state is None or not payment.provider_reference:
        return payment
    state = read_state(reference=payment.provider_reference)
    if state.status == "approved":
        _capture_approved(payment)
    else:
        _converge(payment, state)
    payment.refresh_from_db()
    return payment


def _capture_approved(payment: Payment) -> None:
    """The customer approved at the provider (PayPal): capture, once."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if locked.status != S.PROCESSING or locked.capture_method != CaptureMethod.AUTOMATIC:
            return
        try:
            operation = _reserve_exclusive(
                locked, kind=OperationKind.CAPTURE, amount_minor=locked.amount_minor
            )
        except OperationInProgress:
            return  # another sync (the webhook or the return page) is capturing it
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_capture)


def _converge(payment: Payment, state: ProviderPaymentState) -> None:
    """Apply a change made at the provider without an operation of ours pending:
    3-D Secure completed, a capture or cancel in the provider's dashboard, a late
    decline. Emits the usual events; captures post to the ledger."""
    with transaction.atomic(durable=True):
        locked = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("payment_method")
            .get(pk=payment.pk)
        )
        if locked.operations.filter(status=OperationStatus.PENDING).exists():
            return  # an answer is still on its way: the resolver applies it
        open_states = (S.PROCESSING, S.REQUIRES_ACTION)
        if state.status == "captured" and locked.status in (*open_states, S.AUTHORIZED):
            amount = state.amount_captured_minor or locked.amount_minor
            _record_capture(locked, amount_minor=min(amount, locked.amount_minor))
        elif state.status == "authorized" and locked.status in open_states:
            locked.authorize(provider_reference=state.reference)
            if holds_for_review(locked):  # as apply_authorization: only authorized, held
                locked.hold_for_review()
        elif state.status == "canceled" and locked.status in (*open_states, S.AUTHORIZED):
            locked.cancel()
        elif state.status == "failed" and locked.status in open_states:
            locked.fail(
                code=state.decline_code or "processing_error",
                message=state.message or "The payment could not be processed.",
            )
        else:
            return
        logger.info("Payment %s moved to %s by its provider", locked.id, locked.status)
        payment_save_and_emit(locked)
        if locked.status == S.IN_REVIEW:
            review_open(locked)
