"""Amounts in Stripe's units, where they are not ISO 4217's minor units.

Stripe sends zero-decimal currencies in whole units (MGA among them, two decimals for
ISO), ISK with two decimals (none for ISO), and three-decimal currencies in their
thousandths but only in tens of them (docs.stripe.com/currencies).
"""

from gateway.money import exponent

ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
TWO_DECIMAL = frozenset({"isk"})


class NotInStripeUnits(ValueError):
    """An amount Stripe cannot express in this currency (MGA 10.50, KWD 1.005)."""


def _stripe_exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in TWO_DECIMAL:
        return 2
    return exponent(currency)


def to_stripe(amount_minor: int, currency: str) -> int:
    shift = _stripe_exponent(currency) - exponent(currency)
    if shift >= 0:
        amount = amount_minor * 10**shift
    elif amount_minor % 10**-shift:
        raise NotInStripeUnits(f"Stripe takes {currency.upper()} in whole units only.")
    else:
        amount = amount_minor // 10**-shift
    if _stripe_exponent(currency) == 3 and amount % 10:
        raise NotInStripeUnits(f"Stripe takes {currency.upper()} amounts in tens of fils.")
    return amount


def from_stripe(amount: int, currency: str) -> int:
    shift = _stripe_exponent(currency) - exponent(currency)
    return amount // 10**shift if shift >= 0 else amount * 10**-shift
