"""Payment use-cases: create, confirm, capture, cancel, and applying provider answers.

Every state change runs a django-fsm transition, saves, posts to the ledger when money
moves and emits `payment.<new status>`, all in one transaction. Provider calls happen
between transactions (see payments.services.operations).
"""

import logging
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from fraud.enums import ReviewStatus
from gateway.api.errors import InvalidRequestError
from gateway.events import event_emit
from merchants.permissions import check_takes_payments
from payments import hosted
from payments.breaker import breaker_allows
from payments.enums import (
    CancellationReason,
    CaptureMethod,
    DeclineCode,
    OperationKind,
    OperationStatus,
    PaymentStatus,
    ProviderName,
)
from payments.errors import (
    AmountTooLarge,
    OperationInProgress,
    PaymentDeclined,
    PaymentUnexpectedState,
)
from payments.fees import fee_for
from payments.ledger import Account, TransactionType, ledger_post
from payments.metrics import payment_counted
from payments.models import Customer, Payment, PaymentMethod, ProviderAccount, ProviderOperation
from payments.providers import simulator
from payments.providers.base import Outcome, ProviderError, ProviderResult
from payments.representations import payment_snapshot
from payments.services.operations import (
    operation_apply,
    operation_call,
    operation_fail_over,
    operation_reserve,
)
from payments.services.payment_methods import check_not_detached, payment_method_build
from payments.services.provider_accounts import routing_candidates
from payments.services.screening import (
    FRAUD_BLOCKED_MESSAGE,
    Screening,
    holds_for_review,
    payment_screen,
    review_close,
    review_open,
    screening_decline_record,
    screening_save,
)

S = PaymentStatus

logger = logging.getLogger(__name__)


def _emit(payment: Payment, *, status: str, snapshot: dict | None = None) -> None:
    """Emit `payment.<status>` (with the payment as it is, unless `snapshot` says how
    it was); the payment is counted under `status` (metrics) once the change commits."""
    event_emit(
        type=f"payment.{status}",
        snapshot=snapshot or payment_snapshot(payment),
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
    )
    transaction.on_commit(
        partial(
            payment_counted, status=status, provider=payment.provider, livemode=payment.livemode
        )
    )


def payment_save_and_emit(payment: Payment, *, also: tuple[str, ...] = ()) -> None:
    """Save a transitioned payment and emit its `payment.<status>` event.

    Only the columns transitions write are saved, and those named in `also`: an UPDATE
    of every column cost a payment 3 % of its instructions.
    """
    payment.save(update_fields=(*Payment.TRANSITION_FIELDS, *also))
    _emit(payment, status=payment.status)


def _locked(payment: Payment) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("payment_method")
        .get(pk=payment.pk)
    )


def _post_capture(payment: Payment) -> None:
    amount, fee = payment.amount_received_minor, payment.fee_minor
    ledger_post(
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        type=TransactionType.CHARGE,
        currency=payment.currency,
        source_id=payment.id,
        payment=payment,
        entries=[
            (Account.PROVIDER_CLEARING, amount),
            (Account.MERCHANT_PENDING, -(amount - fee)),
            (Account.FEE_REVENUE, -fee),
        ],
    )


def _record_capture(payment: Payment, *, amount_minor: int, reference: str = "") -> None:
    fee = fee_for(
        merchant_id=payment.merchant_id, amount_minor=amount_minor, currency=payment.currency
    )
    payment.capture(amount_minor=amount_minor, fee_minor=fee, provider_reference=reference)
    _post_capture(payment)


# --- appliers: run inside operation_apply's transaction --------------------------------


def apply_authorization(operation: ProviderOperation, result: ProviderResult) -> None:
    """The provider's answer to an authorization, or to the 3-D Secure challenge that
    followed it. A payment screening holds for review is only authorized, then held."""
    payment = operation.payment
    if result.outcome == Outcome.SUCCEEDED:
        if holds_for_review(payment):
            payment.authorize(provider_reference=result.reference)
            payment.hold_for_review()
        elif payment.capture_method == CaptureMethod.AUTOMATIC:
            _record_capture(payment, amount_minor=payment.amount_minor, reference=result.reference)
        else:
            payment.authorize(provider_reference=result.reference)
    elif result.outcome == Outcome.REQUIRES_ACTION:
        payment.require_action(
            provider_reference=result.reference,
            next_action=hosted.provider_next_action(payment, result.redirect_url)
            if result.redirect_url
            else hosted.three_d_secure_next_action(payment),
        )
    elif result.outcome == Outcome.PENDING:
        payment.await_customer(
            provider_reference=result.reference,
            next_action=hosted.provider_next_action(payment, result.redirect_url),
        )
    else:
        payment.fail(
            code=result.decline_code or "processing_error",
            message=result.message or "The payment could not be processed.",
        )
        if result.outcome == Outcome.DECLINED:
            screening_decline_record(payment)
    payment_save_and_emit(payment)
    if payment.status == S.IN_REVIEW:
        review_open(payment)


def apply_capture(operation: ProviderOperation, result: ProviderResult) -> None:
    payment = _locked(operation.payment)
    if result.succeeded:
        was_held = payment.status == S.IN_REVIEW
        _record_capture(payment, amount_minor=operation.amount_minor)
        payment_save_and_emit(payment)
        if was_held:
            review_close(payment, status=ReviewStatus.APPROVED)


def apply_void(operation: ProviderOperation, result: ProviderResult) -> None:
    payment = _locked(operation.payment)
    if result.succeeded:
        was_held = payment.status == S.IN_REVIEW
        payment.cancel(reason=operation.reason)
        payment_save_and_emit(payment)
        if was_held:
            rejected = operation.reason == CancellationReason.FRAUDULENT
            review_close(
                payment, status=ReviewStatus.REJECTED if rejected else ReviewStatus.CANCELED
            )


# --- use-cases --------------------------------------------------------------------------


def _owned(model, pk: str, *, merchant, livemode: bool, param: str):
    try:  # get(): no ORDER BY for Django to build, unlike first()
        return model.objects.for_merchant(merchant, livemode=livemode).get(pk=pk)
    except model.DoesNotExist:
        raise InvalidRequestError(
            f"No such {param}: '{pk}'", code="resource_missing", param=param
        ) from None


def _check_payment_method(
    *, payment_method: PaymentMethod | None, customer: Customer | None, off_session: bool
) -> None:
    """A customer's saved card pays only for that customer (as Stripe's rule): a card
    can neither be charged for someone else nor, without naming its customer, by
    whoever learns its id, a publishable key confirming a payment included."""
    if payment_method is None:
        return
    check_not_detached(payment_method, param="payment_method")
    owner = payment_method.customer_id
    if owner is not None and (customer is None or owner != customer.id):
        raise InvalidRequestError(  # Stripe's wording
            f"The customer does not have a payment method with the ID {payment_method.id}. "
            "The payment method must be attached to the customer."
            if customer is not None
            else f"The payment_method parameter supplied {payment_method.id} belongs to the "
            f"Customer {owner}. Please include the Customer in the customer parameter.",
            param="payment_method",
        )
    if off_session and (customer is None or owner != customer.id):
        raise InvalidRequestError(
            "Off-session payments need a customer and a payment method attached to it.",
            param="off_session",
        )


# (account, or None for the built-in simulator) in the order to try them
Route = list[ProviderAccount | None]
NO_PROVIDER_MESSAGE = "No payment provider is available right now. Try again shortly."


def _route(payment: Payment) -> Route:
    """The accounts that accept this payment, in order (SPEC §4 routing)."""
    method = payment.payment_method
    route = routing_candidates(
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        card_brand=method.card_brand if method is not None else None,
        requested=payment.provider_requested,
    )
    if not route:
        raise InvalidRequestError(
            "None of your provider accounts accepts this payment (provider, currency, "
            "card brand or amount).",
            code="no_provider_available",
            param="provider" if payment.provider_requested else None,
        )
    if route == [None] and payment.livemode and not _is_test_card(method):
        raise InvalidRequestError(
            "Live mode needs a provider account (POST /v1/provider_accounts): the "
            "built-in simulator moves no money and takes test mode payments only.",
            code="no_provider_available",
        )
    return route


def _is_test_card(method: PaymentMethod | None) -> bool:
    """One of the simulator's magic cards: in live mode the simulator declines them
    (`live_mode_test_card`, SPEC §2), which is the only live answer it gives."""
    return method is not None and simulator.is_test_card(method.card_global_fingerprint)


def _next_usable(route: Route) -> tuple[bool, ProviderAccount | None]:
    """Pop accounts off the route until one whose circuit breaker lets a call through."""
    while route:
        account = route.pop(0)
        if account is None or breaker_allows(account.pk):
            return True, account
    return False, None


def _begin_authorization(payment: Payment, route: Route) -> bool:
    """Inside the reserving transaction: point the payment at the first account whose
    breaker lets a call through. False when every account's breaker is open."""
    found, account = _next_usable(route)
    payment.begin_authorization()
    if found:
        payment.provider = account.provider if account is not None else ProviderName.SIMULATOR
        payment.provider_account = account
    return found


def _reserve_first_attempt(payment: Payment, *, usable: bool) -> ProviderOperation | None:
    """Inside the reserving transaction, once the payment row is saved."""
    if not usable:
        payment.fail(code="processing_error", message=NO_PROVIDER_MESSAGE)
        payment_save_and_emit(payment)
        return None
    # A payment is authorized once: this is the first authorization it ever reserves.
    return operation_reserve(payment=payment, kind=OperationKind.AUTHORIZE, first_of_kind=True)


def _authorize(
    operation: ProviderOperation, *, cvc: str | None, route: Route, announce_wait: bool = False
) -> Payment:
    """Call the provider; on a retryable failure go on to the next account of the
    route, each attempt its own operation. A timeout is not retried elsewhere: the
    first provider may have charged, so the payment waits for the resolver (and with
    `announce_wait`, says so with `payment.processing`)."""
    while True:
        result = operation_call(operation, cvc=cvc)
        if result is None:
            if announce_wait:
                _announce_processing(operation.payment)
            return operation.payment
        if result.outcome == Outcome.FAILED:
            found, account = _next_usable(route)
            if found:
                following = operation_fail_over(operation, result, account=account)
                if following is None:  # resolved meanwhile by someone else
                    operation.payment.refresh_from_db()
                    return operation.payment
                operation = following
                continue
        if not operation_apply(operation, result, apply_authorization):
            operation.payment.refresh_from_db()  # applied meanwhile by someone else
        return operation.payment


def _announce_processing(payment: Payment) -> None:
    """Emit `payment.processing` for a payment its creation left waiting for an answer.

    Creating a payment writes only `payment.created`, though the row is born
    `processing` (its authorization begins in the same transaction): a card answered
    at once never shows that state, as at Stripe. One left without an answer (a
    timeout) shows it until the resolver moves it on, so it is announced, unless the
    resolver has already done so.
    """
    with transaction.atomic():
        locked = _locked(payment)
        if locked.status == S.PROCESSING:
            _emit(locked, status=S.PROCESSING)


def _check_paypal(
    *, provider: str | None, return_url: str, capture_method: str, payment_method
) -> None:
    if provider != ProviderName.PAYPAL:
        return
    if payment_method is not None:
        raise InvalidRequestError(
            "PayPal payments take no card: the customer pays at PayPal.", param="payment_method"
        )
    if not return_url:
        raise InvalidRequestError(
            "PayPal payments need return_url: the customer comes back there after PayPal.",
            code="parameter_missing",
            param="return_url",
        )
    if capture_method != CaptureMethod.AUTOMATIC:
        raise InvalidRequestError(
            "PayPal payments are captured when the customer approves them.",
            param="capture_method",
        )


def _reserve_screened_authorization(
    payment: Payment, screening: Screening, *, usable: bool
) -> ProviderOperation | None:
    """Save the screening, then block the payment (no provider call) or reserve its
    authorization on the account routing chose. Inside the transaction that creates or
    confirms the payment, once the payment row is saved."""
    screening_save(screening)
    if screening.blocks:
        payment.fail(code=DeclineCode.FRAUD_BLOCKED, message=FRAUD_BLOCKED_MESSAGE)
        payment_save_and_emit(payment)
        return None
    return _reserve_first_attempt(payment, usable=usable)


def payment_create(
    *,
    merchant,
    livemode: bool,
    amount_minor: int,
    currency: str,
    capture_method: str = CaptureMethod.AUTOMATIC,
    confirm: bool = True,
    payment_method_id: str | None = None,
    payment_method_data: dict | None = None,
    customer_id: str | None = None,
    description: str = "",
    statement_descriptor: str = "",
    metadata: dict | None = None,
    return_url: str = "",
    simulate: str = "",
    off_session: bool = False,
    provider: str | None = None,
    risk_context: dict | None = None,
    idempotency_key=None,
) -> Payment:
    """Create a payment and, with `confirm`, screen and authorize (and capture) it.

    Emits `payment.created` with the payment row; fraud screening may block it
    (`failed`, no provider call), ask for 3-D Secure or hold it for review; the
    provider's answer then moves it on (captured, authorized, in_review,
    requires_action or failed; PayPal leaves it processing with a redirect to its
    approval page). The provider account is chosen by routing, and a retryable failure
    moves on to the next account. A repeat under the same Idempotency-Key resumes the
    first attempt instead of starting another.
    Raises PaymentDeclined (402) when the payment ends `failed`.
    """
    if (earlier := _payment_made_under(idempotency_key)) is not None:
        return _declined_or(payment_resume(earlier))
    if simulate and livemode:
        raise InvalidRequestError("simulate is only available in test mode.", param="simulate")
    customer = (
        _owned(Customer, customer_id, merchant=merchant, livemode=livemode, param="customer")
        if customer_id
        else None
    )
    cvc = inline_method = None
    if payment_method_data is not None:
        inline_method, cvc = _inline_method(merchant, livemode, payment_method_data)
        payment_method = inline_method
    elif payment_method_id:
        payment_method = _owned(
            PaymentMethod,
            payment_method_id,
            merchant=merchant,
            livemode=livemode,
            param="payment_method",
        )
    else:
        payment_method = None
    _check_paypal(
        provider=provider,
        return_url=return_url,
        capture_method=capture_method,
        payment_method=payment_method,
    )
    if confirm and payment_method is None and provider != ProviderName.PAYPAL:
        raise InvalidRequestError(
            "Missing required param: payment_method (confirm=true needs one).",
            code="parameter_missing",
            param="payment_method",
        )
    _check_payment_method(payment_method=payment_method, customer=customer, off_session=off_session)
    payment = Payment(
        merchant=merchant,
        livemode=livemode,
        amount_minor=amount_minor,
        currency=currency,
        capture_method=capture_method,
        customer=customer,
        payment_method=payment_method,
        provider=provider or ProviderName.SIMULATOR,
        provider_requested=provider or "",
        description=description,
        statement_descriptor=statement_descriptor,
        metadata=metadata or {},
        return_url=return_url,
        simulate=simulate,
        off_session=off_session,
        risk_context=risk_context or None,
        idempotency_key=idempotency_key,
    )
    payment.client_secret = f"{payment.id}_secret_{get_random_string(24)}"
    route = _route(payment) if confirm else []
    screening = payment_screen(payment) if confirm else None
    try:
        with transaction.atomic():
            usable = False
            if screening is not None and not screening.blocks:
                usable = _begin_authorization(payment, route)
            if inline_method is not None:
                inline_method.save(force_insert=True)
            payment.save(force_insert=True)
            # The row is written as its authorization begins (processing, on the account
            # routing chose); `payment.created` shows it as created, before any answer.
            _emit(
                payment,
                status=S.CREATED,
                snapshot={**payment_snapshot(payment), "status": S.CREATED},
            )
            operation = (
                _reserve_screened_authorization(payment, screening, usable=usable)
                if screening is not None
                else None
            )
    except IntegrityError:
        # One payment per Idempotency-Key: a request that held the key before this one
        # (still running when its claim went stale) wrote it first.
        if (earlier := _payment_made_under(idempotency_key)) is None:
            raise
        return _declined_or(payment_resume(earlier))
    if operation is None:
        return _declined_or(payment)
    return _declined_or(_authorize(operation, cvc=cvc, route=route, announce_wait=True))


def _payment_made_under(idempotency_key) -> Payment | None:
    """The payment an earlier request with this Idempotency-Key made, if any."""
    if idempotency_key is None:
        return None
    return Payment.objects.filter(idempotency_key=idempotency_key).first()


def _inline_method(merchant, livemode: bool, data: dict) -> tuple[PaymentMethod, str | None]:
    """The card a payment carries inline (`payment_method_data`), validated but not
    saved: the payment saves it in its own transaction, so that a payment refused before
    that leaves no card behind. With it, the CVC for the first authorization."""
    method, card = payment_method_build(
        merchant=merchant,
        livemode=livemode,
        card=data.get("card") or {},
        billing_details=data.get("billing_details"),
    )
    return method, card.cvc


def _declined_or(payment: Payment) -> Payment:
    if payment.status == S.FAILED:
        raise PaymentDeclined(payment)
    return payment


def _check_confirmable(payment: Payment) -> None:
    if payment.status != S.CREATED:
        raise PaymentUnexpectedState(
            f"This payment's status is {payment.status}; only created payments can be confirmed."
        )


def _confirmable(payment: Payment, payment_method_id: str | None) -> Payment:
    _check_confirmable(payment)
    if payment_method_id:
        payment.payment_method = _owned(
            PaymentMethod,
            payment_method_id,
            merchant=payment.merchant,
            livemode=payment.livemode,
            param="payment_method",
        )
    if payment.payment_method is None and payment.provider_requested != ProviderName.PAYPAL:
        raise InvalidRequestError(
            "Missing required param: payment_method.",
            code="parameter_missing",
            param="payment_method",
        )
    _check_payment_method(
        payment_method=payment.payment_method,
        customer=payment.customer,
        off_session=payment.off_session,
    )
    return payment


def _check_first_use(payment_method: PaymentMethod, *, payment: Payment) -> None:
    """A card's id confirms a browser's payment only if no other payment used it (the
    card the browser just tokenized): an id learnt anywhere, with a merchant's
    publishable key, must not charge someone's card again. The card's row lock makes
    concurrent confirmations take turns, so only one can be its first use."""
    PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)
    if Payment.objects.filter(payment_method=payment_method).exclude(pk=payment.pk).exists():
        raise InvalidRequestError(
            f"The PaymentMethod {payment_method.id} was used before; a publishable key may "
            "not use it again. To charge a card more than once, attach it to a customer "
            "and confirm with a secret key.",
            code="payment_method_unexpected_state",
            param="payment_method",
        )


# What confirming sets besides the transition: the method, the screening's input and
# verdict, the account routing chose.
CONFIRMATION_FIELDS = (
    "payment_method",
    "return_url",
    "risk_context_ciphertext",
    "risk",
    "provider",
    "provider_account",
)


def payment_confirm(
    *,
    payment: Payment,
    payment_method_id: str | None = None,
    payment_method_data: dict | None = None,
    return_url: str | None = None,
    risk_context: dict | None = None,
    first_use_only: bool = False,
) -> Payment:
    """Screen and authorize a payment created with `confirm=false`; `risk_context` adds
    to what was given at creation, `return_url` replaces it (as Stripe's confirm does).
    A card given inline (`payment_method_data`, the hosted checkout's) is saved with
    the confirmation and its CVC sent with the authorization. With `first_use_only`
    (a browser naming a card) the card named by `payment_method_id` must have paid for
    no other payment (`_check_first_use`).
    Raises PaymentDeclined (402)."""
    _check_paypal(  # before a card given for it reaches the vault
        provider=payment.provider_requested,
        return_url=return_url or payment.return_url,
        capture_method=payment.capture_method,
        payment_method=payment_method_data or payment_method_id or None,
    )
    cvc = inline_method = None
    if payment_method_data is not None:
        _check_confirmable(payment)
        inline_method, cvc = _inline_method(payment.merchant, payment.livemode, payment_method_data)
        payment.payment_method = inline_method
    payment = _confirmable(payment, payment_method_id)
    if return_url:
        payment.return_url = return_url
    if risk_context:
        payment.risk_context = {**(payment.risk_context or {}), **risk_context}
    route = _route(payment)
    screening = payment_screen(payment)
    with transaction.atomic():
        locked = _locked(payment)
        _check_confirmable(locked)  # not confirmed meanwhile
        if first_use_only and payment_method_id:
            _check_first_use(payment.payment_method, payment=locked)
        if inline_method is not None:
            inline_method.save(force_insert=True)
        locked.payment_method, locked.return_url = payment.payment_method, payment.return_url
        locked.risk_context, locked.risk = payment.risk_context, payment.risk
        usable = False
        if screening.blocks:  # the failure saves the transition's columns
            locked.save(update_fields=CONFIRMATION_FIELDS)
        else:
            usable = _begin_authorization(locked, route)
            payment_save_and_emit(locked, also=CONFIRMATION_FIELDS)
        operation = _reserve_screened_authorization(locked, screening, usable=usable)
    if operation is None:
        return _declined_or(locked)
    return _declined_or(_authorize(operation, cvc=cvc, route=route))


def _reserve_exclusive(payment: Payment, **kwargs) -> ProviderOperation:
    """Reserve an operation; the database allows one pending non-refund op per payment."""
    try:
        with transaction.atomic():
            return operation_reserve(payment=payment, **kwargs)
    except IntegrityError:
        raise OperationInProgress(
            "Another operation on this payment is waiting for its provider's answer. Retry shortly."
        ) from None


# How long a capture or cancel waits for another one of the same payment to get its
# provider's answer (a call takes well under a second; one that timed out waits for the
# resolver, far longer).
EXCLUSIVE_WAIT_SECONDS = 5.0
_EXCLUSIVE_POLL_SECONDS = 0.02


def _once_others_settle(payment: Payment, action):
    """`action()`, a capture or cancel of `payment`. While another such operation of the
    payment waits for its provider, wait for that answer and run `action` again, so that
    of concurrent requests one wins and the others get what the state it left allows
    (400 `payment_unexpected_state` after a capture), never a conflict to retry."""
    deadline = time.monotonic() + EXCLUSIVE_WAIT_SECONDS
    while True:
        try:
            return action()
        except OperationInProgress:
            if not _exclusive_settled_by(payment, deadline):
                raise


def _exclusive_settled_by(payment: Payment, deadline: float) -> bool:
    pending = ProviderOperation.objects.filter(
        payment_id=payment.pk, status=OperationStatus.PENDING
    ).exclude(kind=OperationKind.REFUND)
    while pending.exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_EXCLUSIVE_POLL_SECONDS)
    return True


def authorization_expires_at(payment: Payment):
    return payment.authorized_at + timedelta(days=settings.AUTHORIZATION_WINDOW_DAYS)


def check_authorization_unexpired(payment: Payment) -> None:
    """Before capturing: the authorization must still be within its window."""
    if timezone.now() >= authorization_expires_at(payment):
        raise PaymentUnexpectedState(
            "The authorization has expired and can no longer be captured.",
            code="charge_expired_for_capture",
        )


def _resumable(payment: Payment, kind: str, idempotency_key) -> bool:
    """Whether a request with this Idempotency-Key already reserved such an operation:
    its first attempt died (or answered 5xx) before the answer was stored."""
    return (
        idempotency_key is not None
        and payment.operations.filter(kind=kind, request_key=idempotency_key).exists()
    )


def payment_capture(
    *, payment: Payment, amount_minor: int | None = None, idempotency_key=None
) -> Payment:
    """Capture an authorized payment, all of it or less (the rest is released). A
    repeat under the same Idempotency-Key finishes the capture its first attempt
    reserved, instead of refusing the payment it captured. A suspended merchant captures
    nothing, whoever asks (the API or support in the admin)."""
    if _resumable(payment, OperationKind.CAPTURE, idempotency_key):
        return payment_resume(payment)
    check_takes_payments(payment.merchant)
    return _once_others_settle(payment, partial(_capture, payment, amount_minor, idempotency_key))


def _capture(payment: Payment, amount_minor: int | None, idempotency_key) -> Payment:
    with transaction.atomic():
        payment = _locked(payment)
        if payment.status != S.AUTHORIZED:
            raise PaymentUnexpectedState(
                f"This payment's status is {payment.status}; only authorized payments can be "
                "captured."
            )
        amount = payment.amount_capturable_minor if amount_minor is None else amount_minor
        if amount > payment.amount_capturable_minor:
            raise AmountTooLarge(
                f"The capture amount ({amount}) is greater than the amount capturable "
                f"({payment.amount_capturable_minor})."
            )
        check_authorization_unexpired(payment)
        operation = _reserve_exclusive(
            payment,
            kind=OperationKind.CAPTURE,
            amount_minor=amount,
            request_key=idempotency_key,
        )
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_capture)
    payment.refresh_from_db()
    if result is not None and not result.succeeded:
        _after_a_refusal(payment, "capture", result)
    return payment


def payment_cancel(*, payment: Payment, reason: str = "", idempotency_key=None) -> Payment:
    """Cancel (void) a payment that has not been captured. A repeat under the same
    Idempotency-Key finishes the void its first attempt reserved."""
    if _resumable(payment, OperationKind.VOID, idempotency_key):
        return payment_resume(payment)
    return _once_others_settle(payment, partial(_cancel, payment, reason, idempotency_key))


def _cancel(payment: Payment, reason: str, idempotency_key) -> Payment:
    with transaction.atomic():
        payment = _locked(payment)
        cancellable = (S.CREATED, S.REQUIRES_ACTION, S.AUTHORIZED, S.IN_REVIEW)
        if payment.status not in cancellable and not _awaits_customer(payment):
            raise PaymentUnexpectedState(
                f"This payment's status is {payment.status}; it can no longer be canceled."
            )
        # A payment waiting on 3-D Secure is voided at its provider too: a challenge
        # completed there later (Stripe's page) would otherwise still take the money.
        voidable = payment.provider_reference and payment.status in (
            S.AUTHORIZED,
            S.IN_REVIEW,
            S.REQUIRES_ACTION,
        )
        if not voidable:
            payment.cancel(reason=reason)
            payment_save_and_emit(payment)
            return payment
        operation = _reserve_exclusive(
            payment, kind=OperationKind.VOID, reason=reason, request_key=idempotency_key
        )
    result = operation_call(operation)
    if result is not None:
        operation_apply(operation, result, apply_void)
    payment.refresh_from_db()
    if result is not None and not result.succeeded:
        _after_a_refusal(payment, "cancel", result)
    return payment


def _after_a_refusal(payment: Payment, action: str, result: ProviderResult) -> None:
    """The provider would not capture or void. The payment may have moved on there
    without us (a 3-D Secure challenge completed at Stripe, a capture or cancel made
    in its dashboard, before any webhook came): converge on the provider's state, so
    the money it took is on our books, then answer the refusal rather than a 200."""
    from payments.services.provider_sync import payment_sync  # it builds on this module

    try:
        payment = payment_sync(payment)
    except ProviderError:
        logger.warning("Provider unreachable after a refused %s of %s", action, payment.id)
    raise PaymentUnexpectedState(
        f"The payment's provider refused to {action} it ({result.message or result.decline_code}); "
        f"its status is {payment.status}."
    )


def _awaits_customer(payment: Payment) -> bool:
    """Processing, but only because the customer has yet to approve at the provider."""
    return (
        payment.status == S.PROCESSING
        and payment.next_action is not None
        and not payment.operations.filter(status=OperationStatus.PENDING).exists()
    )


def payment_resume(payment: Payment) -> Payment:
    """Finish what a crashed or timed-out attempt left pending, then return the payment."""
    from payments.services.resolution import operations_finish

    operations_finish(payment.operations)
    payment.refresh_from_db()
    return payment


def payments_expire_authorizations() -> int:
    """Cancel authorizations older than the capture window (held for review or not);
    returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.AUTHORIZATION_WINDOW_DAYS)
    expired = Payment.objects.filter(
        status__in=(S.AUTHORIZED, S.IN_REVIEW), authorized_at__lte=cutoff
    )
    canceled = 0
    for payment in expired.iterator(chunk_size=100):
        try:
            payment = payment_cancel(payment=payment, reason=CancellationReason.EXPIRED)
        except (PaymentUnexpectedState, OperationInProgress):
            continue  # captured or being worked on meanwhile
        canceled += payment.status == S.CANCELED
    return canceled
