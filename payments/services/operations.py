"""Provider operations: reserve, call, apply.

A service that needs the provider (1) reserves a ProviderOperation in a short
transaction, (2) calls the provider outside any transaction with the operation's
idempotency key, and (3) applies the answer in a second transaction that runs the
transition, posts to the ledger and emits the event. If (2) times out or the process
dies, the operation stays `pending`; `operation_resolve` later asks the provider
for the answer it gave under that key (or repeats the call with the same key) and
applies it, so an outcome is never lost and never doubled.
"""

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from fraud.enums import Decision
from gateway.db import in_transaction
from payments import vault
from payments.enums import OperationKind, OperationStatus
from payments.models import Payment, ProviderOperation
from payments.providers import get_provider
from payments.providers.base import (
    AuthorizationRequest,
    Card,
    Outcome,
    ProviderError,
    ProviderResult,
    ProviderTimeout,
)

logger = logging.getLogger(__name__)

# ProviderOperation.reason of an AUTHENTICATE operation: how the challenge ended.
CHALLENGE_APPROVED = "challenge_approved"
CHALLENGE_FAILED = "challenge_failed"


def operation_reserve(
    *, payment: Payment, kind: str, amount_minor: int | None = None, refund=None, reason: str = ""
) -> ProviderOperation:
    """Create the pending operation; call inside the reserving transaction."""
    key_subject = refund.id if refund is not None else payment.id
    return ProviderOperation.objects.create(
        payment=payment,
        refund=refund,
        kind=kind,
        provider=payment.provider,
        idempotency_key=f"{key_subject}-{kind}",
        amount_minor=amount_minor,
        reason=reason,
        attempts=1,  # reserved to be sent right away
    )


def _risk_level(payment: Payment) -> str:
    return (payment.risk or {}).get("level", "")


def _captures_at_once(payment: Payment) -> bool:
    """Automatic capture, unless screening holds the payment for review: then the
    provider only authorizes, and approving the review captures."""
    return payment.capture_method == "automatic" and _risk_level(payment) != Decision.REVIEW


def _authorization_request(operation: ProviderOperation, cvc: str | None) -> AuthorizationRequest:
    payment = operation.payment
    method = payment.payment_method
    return AuthorizationRequest(
        idempotency_key=operation.idempotency_key,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        card=Card(
            number=vault.card_number(method),
            exp_month=method.card_exp_month,
            exp_year=method.card_exp_year,
            brand=method.card_brand,
            cvc=cvc,
        ),
        capture=_captures_at_once(payment),
        livemode=payment.livemode,
        off_session=payment.off_session,
        simulate=payment.simulate,
        statement_descriptor=payment.statement_descriptor,
        three_d_secure=_risk_level(payment) == Decision.THREE_D_SECURE,
    )


def operation_call(
    operation: ProviderOperation, *, cvc: str | None = None
) -> ProviderResult | None:
    """Send the operation to its provider. None means no answer: it stays pending.

    Never inside a transaction: a row lock held across network I/O would stall every
    other request for the payment, and a rollback could not undo the provider's side.
    """
    if in_transaction():
        raise RuntimeError("provider calls must not run inside a database transaction")
    provider = get_provider(operation.provider)
    payment = operation.payment
    try:
        if operation.kind == OperationKind.AUTHORIZE:
            return provider.authorize(_authorization_request(operation, cvc))
        if operation.kind == OperationKind.AUTHENTICATE:
            return provider.complete_authentication(
                idempotency_key=operation.idempotency_key,
                reference=payment.provider_reference,
                approved=operation.reason == CHALLENGE_APPROVED,
                capture=_captures_at_once(payment),
            )
        if operation.kind == OperationKind.CAPTURE:
            return provider.capture(
                idempotency_key=operation.idempotency_key,
                reference=payment.provider_reference,
                amount_minor=operation.amount_minor,
                currency=payment.currency,
            )
        if operation.kind == OperationKind.VOID:
            return provider.void(
                idempotency_key=operation.idempotency_key, reference=payment.provider_reference
            )
        return provider.refund(
            idempotency_key=operation.idempotency_key,
            reference=payment.provider_reference,
            amount_minor=operation.amount_minor,
            currency=payment.currency,
        )
    except ProviderTimeout:
        logger.warning("Provider %s timed out on %s; left pending", operation.provider, operation)
        return None
    except ProviderError as exc:
        logger.warning("Provider %s unavailable for %s: %s", operation.provider, operation, exc)
        return ProviderResult(
            outcome=Outcome.FAILED,
            decline_code="processing_error",
            message="The payment provider is unavailable. Try again.",
        )


def operation_settle(operation: ProviderOperation, result: ProviderResult) -> bool:
    """Mark the operation resolved; False if someone else already did.

    Call first inside the applying transaction: the UPDATE's row lock makes every
    other applier of this operation wait, then find nothing left to do.
    """
    status = {
        Outcome.SUCCEEDED: OperationStatus.SUCCEEDED,
        Outcome.REQUIRES_ACTION: OperationStatus.REQUIRES_ACTION,
        Outcome.DECLINED: OperationStatus.DECLINED,
    }.get(result.outcome, OperationStatus.FAILED)
    return bool(
        ProviderOperation.objects.filter(pk=operation.pk, status=OperationStatus.PENDING).update(
            status=status,
            provider_reference=result.reference,
            error_code=result.decline_code,
            error_message=result.message[:300],
            resolved_at=timezone.now(),
        )
    )


# Each kind's applier: (operation, result) -> None, running inside the apply transaction.
Applier = Callable[[ProviderOperation, ProviderResult], None]


def operation_apply(operation: ProviderOperation, result: ProviderResult, applier: Applier) -> bool:
    """Apply a provider answer exactly once. False if it had already been applied."""
    with transaction.atomic(durable=True):
        if not operation_settle(operation, result):
            return False
        applier(operation, result)
    return True
