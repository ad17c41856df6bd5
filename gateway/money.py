"""Money in integer minor units and the ISO 4217 currencies we accept.

Amounts never leave integers: `Money(1050, "eur")` is EUR 10.50 and `Money(1000,
"jpy")` is JPY 1000. Decimal appears only when formatting for people.
"""

from dataclasses import dataclass
from decimal import Decimal

# ISO 4217 active codes by minor-unit exponent. Codes without minor units defined
# (precious metals, SDR, XXX "no currency", XTS "testing") are deliberately absent.
_EXPONENT_0 = "bif clp djf gnf isk jpy kmf krw pyg rwf ugx uyi vnd vuv xaf xof xpf"
_EXPONENT_3 = "bhd iqd jod kwd lyd omr tnd"
_EXPONENT_4 = "clf uyw"
_EXPONENT_2 = (
    "aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob bov brl bsd btn "
    "bwp byn bzd cad cdf che chf chw cny cop cou crc cup cve czk dkk dop dzd egp ern etb "
    "eur fjd fkp gbp gel ghs gip gmd gtq gyd hkd hnl htg huf idr ils inr irr jmd kes kgs "
    "khr kpw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn "
    "mxv myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd "
    "scr sdg sek sgd shp sle sos srd ssp stn svc syp szl thb tjs tmt top try ttd twd tzs "
    "uah usd usn uyu uzs ved ves wst xcd xcg yer zar zmw zwg"
)
CURRENCY_EXPONENTS: dict[str, int] = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}

# The API's bounds for a single amount, in minor units (SPEC §5).
MIN_AMOUNT = 1
MAX_AMOUNT = 99_999_999


class CurrencyMismatch(ValueError):
    """Arithmetic between two different currencies."""


def normalize_currency(value: object) -> str | None:
    """The lower-case ISO 4217 code for `value`, or None when it is not one we accept."""
    if not isinstance(value, str) or len(value) != 3 or not value.isascii():
        return None
    code = value.lower()
    return code if code in CURRENCY_EXPONENTS else None


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS[currency.lower()]


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self):
        if type(self.amount_minor) is not int:
            raise TypeError("amounts are integers in minor units")
        code = normalize_currency(self.currency)
        if code is None:
            raise ValueError(f"unknown currency {self.currency!r}")
        object.__setattr__(self, "currency", code)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def to_decimal(self) -> Decimal:
        """Major units, for display only."""
        return Decimal(self.amount_minor).scaleb(-exponent(self.currency))

    def __str__(self) -> str:
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency.upper()}"
