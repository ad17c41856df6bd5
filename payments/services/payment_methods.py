"""Tokenizing cards into payment methods."""

from gateway import crypto
from payments import vault
from payments.cards import ValidCard, validate_card
from payments.models import PaymentMethod


def payment_method_create(
    *,
    merchant,
    livemode: bool,
    card: dict,
    billing_details: dict | None = None,
    metadata: dict | None = None,
) -> tuple[PaymentMethod, ValidCard]:
    """Validate and vault a card. Raises CardValidationError.

    Returns the payment method and the validated card, whose CVC lives only in memory,
    for a first authorization in this same request.
    """
    valid = validate_card(card)
    payment_method = PaymentMethod(
        merchant=merchant,
        livemode=livemode,
        card_brand=valid.brand,
        card_last4=valid.last4,
        card_exp_month=valid.exp_month,
        card_exp_year=valid.exp_year,
        card_fingerprint=crypto.fingerprint(valid.number, scope=merchant.id),
        card_global_fingerprint=crypto.fingerprint(valid.number, scope="global"),
        card_country="US",
        card_funding="credit",
        metadata=metadata or {},
    )
    vault.seal_card(payment_method, number=valid.number, billing_details=billing_details or {})
    payment_method.save(force_insert=True)
    return payment_method, valid
