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
from dataclasses import replace

from django.db import transaction
from django.utils import timezone

from fraud.enums import Decision
from gateway.db import in_transaction
from payments import hosted, vault
from payments.breaker import breaker_record_failure, breaker_record_success
from payments.enums import OperationKind, OperationStatus, PaymentStatus
from payments.models import Payment, ProviderAccount, ProviderOperation
from payments.providers.base import (
    AuthorizationRequest,
    Card,
    Outcome,
    ProviderError,
    ProviderPending,
    ProviderResult,
    ProviderTimeout,
)
from payments.services.provider_accounts import provider_for

logger = logging.getLogger(__name__)

# ProviderOperation.reason of an AUTHENTICATE operation: how the challenge ended.
CHALLENGE_APPROVED = "challenge_approved"
CHALLENGE_FAILED = "challenge_failed"


def operation_reserve(
    *,
    payment: Payment,
    kind: str,
    amount_minor: int | None = None,
    refund=None,
    reason: str = "",
    first_of_kind: bool = False,
    request_key=None,
) -> ProviderOperation:
    """Create the pending operation; call inside the reserving transaction.

    It goes to the payment's provider account. The idempotency key is derived from the
    payment (or refund) and the kind; a later attempt of the same kind (the next
    account after a failover, a capture retried after a failure) gets a numbered key.
    `first_of_kind` spares counting the earlier ones when the caller knows there are none.
    """
    key_subject = refund.id if refund is not None else payment.id
    key = f"{key_subject}-{kind}"
    earlier = (
        0
        if first_of_kind
        else ProviderOperation.objects.filter(payment=payment, kind=kind, refund=refund).count()
    )
    if earlier:
        key = f"{key}-{earlier + 1}"
    operation = ProviderOperation.objects.create(
        payment=payment,
        refund=refund,
        kind=kind,
        provider=payment.provider,
        provider_account_id=payment.provider_account_id,
        idempotency_key=key,
        amount_minor=amount_minor,
        reason=reason,
        request_key=request_key,
        attempts=1,  # reserved to be sent right away
    )
    if sends_card(operation):
        vault.audit_detokenize(operation)
    return operation


def sends_card(operation: ProviderOperation) -> bool:
    """Whether sending the operation opens the card in the vault (_authorization_request)."""
    return (
        operation.kind == OperationKind.AUTHORIZE
        and operation.payment.payment_method_id is not None
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
    card = None
    if method is not None:
        card = Card(
            number=vault.card_number(method),
            exp_month=method.card_exp_month,
            exp_year=method.card_exp_year,
            brand=method.card_brand,
            cvc=cvc,
        )
    return AuthorizationRequest(
        idempotency_key=operation.idempotency_key,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        card=card,
        capture=_captures_at_once(payment),
        livemode=payment.livemode,
        off_session=payment.off_session,
        simulate=payment.simulate,
        statement_descriptor=payment.statement_descriptor,
        description=payment.description,
        payment_id=payment.id,
        # Back from a provider's page (Stripe's 3-D Secure, PayPal's approval) to ours,
        # which syncs the payment, then on to the merchant's return_url or the receipt.
        return_url=hosted.provider_return_url(payment),
        reference=operation.provider_reference,
        three_d_secure=_risk_level(payment) == Decision.THREE_D_SECURE,
    )


def _send(provider, operation: ProviderOperation, cvc: str | None) -> ProviderResult:
    payment = operation.payment
    if operation.kind == OperationKind.AUTHORIZE:
        request = _authorization_request(operation, cvc)
        prepare = getattr(provider, "prepare_authorization", None)
        if prepare is not None and not operation.provider_reference:
            # Store the provider's object before confirming it, so that a confirmation
            # that times out can be looked up by it. One UPDATE, no transaction held.
            reference = prepare(request)
            if reference:
                ProviderOperation.objects.filter(pk=operation.pk).update(
                    provider_reference=reference
                )
                operation.provider_reference = reference
                request = replace(request, reference=reference)
        return provider.authorize(request)
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


def operation_call(
    operation: ProviderOperation, *, cvc: str | None = None
) -> ProviderResult | None:
    """Send the operation to its provider. None means no answer: it stays pending.

    Never inside a transaction: a row lock held across network I/O would stall every
    other request for the payment, and a rollback could not undo the provider's side.
    """
    if in_transaction():
        raise RuntimeError("provider calls must not run inside a database transaction")
    account = operation.provider_account
    provider = provider_for(account)
    try:
        result = _send(provider, operation, cvc)
    except ProviderPending as exc:
        logger.info("Provider %s has no final answer for %s yet: %s", provider.name, operation, exc)
        _breaker(account, ok=True)
        return None
    except ProviderTimeout:
        logger.warning("Provider %s timed out on %s; left pending", provider.name, operation)
        _breaker(account, ok=False)
        return None
    except ProviderError as exc:
        logger.warning("Provider %s unavailable for %s: %s", provider.name, operation, exc)
        _breaker(account, ok=False)
        return ProviderResult(
            outcome=Outcome.FAILED,
            decline_code="processing_error",
            message="The payment provider is unavailable. Try again.",
        )
    _breaker(account, ok=True)
    return result


def _breaker(account: ProviderAccount | None, *, ok: bool) -> None:
    if account is None:
        return  # the built-in simulator runs in our own database
    if ok:
        breaker_record_success(account.pk)
    else:
        breaker_record_failure(account.pk)


def operation_settle(operation: ProviderOperation, result: ProviderResult) -> bool:
    """Mark the operation resolved; False if someone else already did.

    Call first inside the applying transaction: the UPDATE's row lock makes every
    other applier of this operation wait, then find nothing left to do.
    """
    status = {
        Outcome.SUCCEEDED: OperationStatus.SUCCEEDED,
        Outcome.REQUIRES_ACTION: OperationStatus.REQUIRES_ACTION,
        Outcome.PENDING: OperationStatus.REQUIRES_ACTION,
        Outcome.DECLINED: OperationStatus.DECLINED,
    }.get(result.outcome, OperationStatus.FAILED)
    fields = {
        "status": status,
        "error_code": result.decline_code,
        "error_message": result.message[:300],
        "resolved_at": timezone.now(),
    }
    if result.reference:  # else keep what prepare_authorization stored
        fields["provider_reference"] = result.reference
    return bool(
        ProviderOperation.objects.filter(pk=operation.pk, status=OperationStatus.PENDING).update(
            **fields
        )
    )


# Each kind's applier: (operation, result) -> None, running inside the apply transaction.
Applier = Callable[[ProviderOperation, ProviderResult], None]


def operation_apply(operation: ProviderOperation, result: ProviderResult, applier: Applier) -> bool:
    """Apply a provider answer exactly once. False if it had already been applied.

    The payment row is locked before the operation's: reservations lock the payment
    and then insert operations, so the opposite order here would deadlock with them.
    An authorization needs no such lock: while it runs the payment is `processing`,
    a state in which nothing else can reserve an operation on it.
    """
    with transaction.atomic(durable=True):
        if operation.kind != OperationKind.AUTHORIZE:
            list(Payment.objects.select_for_update().filter(pk=operation.payment_id).values("pk"))
        if not operation_settle(operation, result):
            return False
        applier(operation, result)
    return True


def operation_fail_over(
    operation: ProviderOperation, result: ProviderResult, *, account: ProviderAccount | None
) -> ProviderOperation | None:
    """Record a retryable authorization failure and reserve the next account's attempt,
    in one transaction (so a crash leaves either attempt pending, never neither).

    None if the operation was settled meanwhile or the payment moved on.
    """
    with transaction.atomic(durable=True):
        if not operation_settle(operation, result):
            return None
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("payment_method")
            .get(pk=operation.payment_id)
        )
        if payment.status != PaymentStatus.PROCESSING:
            return None
        payment.provider = account.provider if account is not None else "simulator"
        payment.provider_account = account
        payment.save(update_fields=["provider", "provider_account"])
        following = operation_reserve(payment=payment, kind=OperationKind.AUTHORIZE)
    following.payment = payment
    return following
