"""Card data validation: brand by prefix, length per brand, Luhn, expiry, CVC.

Errors are Stripe's card errors (`incorrect_number`, `invalid_expiry_month`,
`invalid_expiry_year`, `invalid_cvc`) with the parameter they concern. Nothing here
logs or stores the number; callers hand it to the vault and drop it.
"""

import re
from dataclasses import dataclass

from django.utils import timezone

from gateway.api.errors import CardError
from gateway.logging import luhn_valid


class CardValidationError(CardError):
    """Bad card data: a 402 `card_error` naming the parameter (SPEC §5)."""

    def __init__(self, code: str, param: str, message: str) -> None:
        super().__init__(message, code=code, param=param)


@dataclass(frozen=True)
class Brand:
    name: str
    prefixes: tuple[tuple[int, int], ...]  # inclusive ranges of leading digits
    lengths: tuple[int, ...]
    cvc_length: int


BRANDS = (
    Brand("amex", ((34, 34), (37, 37)), (15,), 4),
    Brand("visa", ((4, 4),), (13, 16, 19), 3),
    Brand("mastercard", ((51, 55), (2221, 2720)), (16,), 3),
    Brand("discover", ((6011, 6011), (644, 649), (65, 65)), (16, 19), 3),
    Brand("diners", ((300, 305), (36, 36), (38, 39)), (14, 16, 19), 3),
    Brand("jcb", ((3528, 3589),), (16, 17, 18, 19), 3),
    Brand("unionpay", ((62, 62),), (16, 17, 18, 19), 3),
)
_SEPARATORS = re.compile(r"[ -]")


def brand_of(number: str) -> Brand | None:
    for brand in BRANDS:
        for low, high in brand.prefixes:
            width = len(str(low))
            if len(number) >= width and low <= int(number[:width]) <= high:
                return brand
    return None


@dataclass(frozen=True)
class ValidCard:
    number: str
    brand: str
    exp_month: int
    exp_year: int
    cvc: str | None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never show the number or CVC, even in tracebacks
        return f"ValidCard(brand={self.brand!r}, last4={self.last4!r})"


def _normalize_number(raw: object) -> str:
    if not isinstance(raw, str):
        raise CardValidationError(
            "incorrect_number", "card[number]", "Your card number is incorrect."
        )
    number = _SEPARATORS.sub("", raw)
    if not number.isascii() or not number.isdigit() or not 12 <= len(number) <= 19:
        raise CardValidationError(
            "incorrect_number", "card[number]", "Your card number is incorrect."
        )
    return number


def _integer(raw: object) -> int | None:
    """JSON integers, or strings of digits as form-encoded clients send them."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return int(raw)
    return None


def validate_card(card: dict) -> ValidCard:
    """Check a `card` hash; raise CardValidationError naming the first bad field."""
    number = _normalize_number(card.get("number"))
    brand = brand_of(number)
    if brand is None or len(number) not in brand.lengths or not luhn_valid(number):
        raise CardValidationError(
            "incorrect_number", "card[number]", "Your card number is incorrect."
        )
    month = _integer(card.get("exp_month"))
    if month is None or not 1 <= month <= 12:
        raise CardValidationError(
            "invalid_expiry_month", "card[exp_month]", "Your card's expiration month is invalid."
        )
    year = _integer(card.get("exp_year"))
    if year is not None and year < 100:
        year += 2000
    today = timezone.now().date()
    if year is None or year < today.year or year > today.year + 50:
        raise CardValidationError(
            "invalid_expiry_year", "card[exp_year]", "Your card's expiration year is invalid."
        )
    if year == today.year and month < today.month:
        raise CardValidationError(
            "invalid_expiry_month", "card[exp_month]", "Your card's expiration month is invalid."
        )
    cvc = card.get("cvc")
    if cvc is not None and (
        not isinstance(cvc, str)
        or not cvc.isascii()
        or not cvc.isdigit()
        or len(cvc) != brand.cvc_length
    ):
        raise CardValidationError(
            "invalid_cvc", "card[cvc]", "Your card's security code is invalid."
        )
    return ValidCard(number=number, brand=brand.name, exp_month=month, exp_year=year, cvc=cvc)
