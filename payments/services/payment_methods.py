"""Tokenizing cards into payment methods, and attaching them to customers."""

from django.db import transaction
from django.utils import timezone

from gateway import crypto
from gateway.api.errors import InvalidRequestError
from gateway.events import event_emit
from payments import vault
from payments.cards import ValidCard, validate_card
from payments.models import Customer, PaymentMethod
from payments.services.customers import customer_snapshot

BILLING_FIELDS = ("email", "name", "phone")
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def billing_details_normalize(billing_details: dict | None) -> dict:
    """Stripe's full shape: every field present, null when not given."""
    billing_details = billing_details or {}
    address = billing_details.get("address") or {}
    return {
        "address": {key: address.get(key) or None for key in ADDRESS_FIELDS},
        **{key: billing_details.get(key) or None for key in BILLING_FIELDS},
    }


def payment_method_snapshot(payment_method: PaymentMethod) -> dict:
    """The payment method as the API renders it, without billing details: events are
    stored in clear, and the billing details are personal data sealed in the vault."""
    # Imported here: the API module imports this one.
    from payments.api.payment_methods import PaymentMethodOutputSerializer

    return PaymentMethodOutputSerializer(payment_method, context={"redact_pii": True}).data


def _check_same_owner(payment_method: PaymentMethod, customer: Customer) -> None:
    if (customer.merchant_id, customer.livemode) != (
        payment_method.merchant_id,
        payment_method.livemode,
    ):
        raise ValueError("a payment method attaches only to a customer of its merchant and mode")


def _emit(event_type: str, payment_method: PaymentMethod) -> None:
    event_emit(
        type=event_type,
        snapshot=payment_method_snapshot(payment_method),
        merchant_id=payment_method.merchant_id,
        livemode=payment_method.livemode,
    )


def payment_method_build(
    *,
    merchant,
    livemode: bool,
    card: dict,
    billing_details: dict | None = None,
    metadata: dict | None = None,
    customer: Customer | None = None,
) -> tuple[PaymentMethod, ValidCard]:
    """Validate a card and seal it into a payment method that is not saved yet (a
    payment saves the card it carries inline with itself, or not at all). Raises
    CardValidationError. The validated card's CVC lives only in memory, for a first
    authorization in this same request."""
    valid = validate_card(card)
    payment_method = PaymentMethod(
        merchant=merchant,
        livemode=livemode,
        customer=customer,
        card_brand=valid.brand,
        card_last4=valid.last4,
        card_bin=valid.number[:6],
        card_exp_month=valid.exp_month,
        card_exp_year=valid.exp_year,
        card_fingerprint=crypto.fingerprint(valid.number, scope=merchant.id),
        card_global_fingerprint=crypto.fingerprint(valid.number, scope="global"),
        card_country="US",
        card_funding="credit",
        metadata={key: value for key, value in (metadata or {}).items() if value != ""},
    )
    if customer is not None:
        _check_same_owner(payment_method, customer)
    vault.seal_card(
        payment_method,
        number=valid.number,
        billing_details=billing_details_normalize(billing_details),
    )
    return payment_method, valid


@transaction.atomic
def payment_method_create(**params) -> tuple[PaymentMethod, ValidCard]:
    """Validate and vault a card (the parameters of `payment_method_build`), optionally
    attached to `customer` (same merchant and mode). Raises CardValidationError before
    writing anything. Emits `payment_method.attached` when attached. Returns it with
    the validated card."""
    payment_method, valid = payment_method_build(**params)
    payment_method.save(force_insert=True)
    if payment_method.customer_id is not None:
        _emit("payment_method.attached", payment_method)
    return payment_method, valid


@transaction.atomic
def payment_method_attach(*, payment_method: PaymentMethod, customer: Customer) -> PaymentMethod:
    """Attach to `customer`; a payment method belongs to at most one customer (attaching
    again to the same one changes nothing). Emits `payment_method.attached`."""
    _check_same_owner(payment_method, customer)
    payment_method = PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)
    check_not_detached(payment_method, param="payment_method")
    if payment_method.customer_id == customer.id:
        return payment_method
    if payment_method.customer_id is not None:
        raise InvalidRequestError(
            "The payment method is already attached to another customer. Detach it first.",
            code="payment_method_unexpected_state",
            param="customer",
        )
    payment_method.customer = customer
    payment_method.save(update_fields=["customer"])
    _emit("payment_method.attached", payment_method)
    return payment_method


def check_not_detached(payment_method: PaymentMethod, *, param: str) -> None:
    """As Stripe: a card its customer removed is neither charged nor attached again, so
    its id, once seen in a browser, stops being a way to charge it."""
    if payment_method.detached_at is not None:
        raise InvalidRequestError(
            f"The payment method {payment_method.id} was detached from a customer and "
            "may not be used again.",
            code="payment_method_unexpected_state",
            param=param,
        )


@transaction.atomic
def payment_method_detach(*, payment_method: PaymentMethod) -> PaymentMethod:
    """Detach from its customer; if it was the customer's default, the customer has no
    default afterwards. Emits `payment_method.detached` (and `customer.updated` when the
    default is cleared). Locks the payment method, then the customer."""
    payment_method = PaymentMethod.objects.select_for_update().get(pk=payment_method.pk)
    if payment_method.customer_id is None:
        raise InvalidRequestError(
            "The payment method is not attached to a customer, so it cannot be detached.",
            code="payment_method_unexpected_state",
        )
    customer = Customer.objects.select_for_update().get(pk=payment_method.customer_id)
    payment_method.customer = None
    payment_method.detached_at = timezone.now()
    payment_method.save(update_fields=["customer", "detached_at"])
    _emit("payment_method.detached", payment_method)
    if customer.default_payment_method_id == payment_method.id:
        previous = customer_snapshot(customer)
        customer.default_payment_method = None
        customer.save(update_fields=["default_payment_method"])
        event_emit(
            type="customer.updated",
            snapshot=customer_snapshot(customer),
            merchant_id=customer.merchant_id,
            livemode=customer.livemode,
            previous=previous,
        )
    return payment_method
