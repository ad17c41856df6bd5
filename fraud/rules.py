"""The screening rules: small pure functions of (signals, facts, thresholds).

Each returns a `Hit` (points and a reason code) or None. Points are before the
merchant's weight (a percentage, default 100). Rules that must reach a decision level
whatever the merchant's thresholds (velocity, card testing) return that threshold.
The registry at the end names every rule with whether it is on by default; merchants
switch rules and set weights in the admin (`RuleSetting`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from fraud.enums import BlocklistType
from fraud.inputs import Facts, Hit, PaymentSignals, Thresholds
from gateway.money import exponent

# Sliding windows, in seconds.
ATTEMPT_WINDOW = 10 * 60
DEVICE_WINDOW = 24 * 60 * 60
DECLINE_WINDOW = 24 * 60 * 60
CARD_TESTING_WINDOW = 60

CARD_TESTING_DECLINES = 50  # declines in CARD_TESTING_WINDOW that trip the guard
USUAL_AMOUNT_MIN_SAMPLES = 20  # payments before "the merchant's usual" means anything
USUAL_AMOUNT_SAMPLES = 1000  # the usual amount is the mean of this many latest payments
LARGE_FIRST_PAYMENT_MAJOR_UNITS = 500  # without history: 500 USD, 500 EUR, 500 JPY...


def always_blocked_test_card(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """The simulator's always-block card (4100000000000019), in test mode only."""
    return Hit(100, "test_card_always_blocked") if f.is_always_blocked_test_card else None


_BLOCKLIST_ORDER = [choice.value for choice in BlocklistType]


def blocklist(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """The card, its BIN, the e-mail or the IP address is on the merchant's blocklist."""
    for kind in _BLOCKLIST_ORDER:
        if kind in f.blocklisted:
            return Hit(100, f"blocklist_{kind}")
    return None


def velocity_card(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """SPEC §9: the 6th-10th attempt with one card within 10 minutes reaches the 3-D
    Secure level, the 11th and later the block level. Off-session charges not counted."""
    if s.off_session or f.card_attempts <= 5:
        return None
    return Hit(t.block if f.card_attempts > 10 else t.three_d_secure, "velocity_card")


def velocity_card_all_merchants(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """One card tried across merchants: above 10 in 10 minutes 3-D Secure, above 20
    block. Off by default."""
    if s.off_session or f.card_attempts_all_merchants <= 10:
        return None
    level = t.block if f.card_attempts_all_merchants > 20 else t.three_d_secure
    return Hit(level, "velocity_card_all_merchants")


def _velocity(count: int, reason: str, off_session: bool) -> Hit | None:
    if off_session or count <= 10:
        return None
    return Hit(40 if count > 20 else 20, reason)


def velocity_customer(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Above 10 attempts by one customer in 10 minutes: 20 points; above 20: 40."""
    return _velocity(f.customer_attempts, "velocity_customer", s.off_session)


def velocity_email(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Above 10 attempts from one e-mail address in 10 minutes: 20 points; above 20: 40."""
    return _velocity(f.email_attempts, "velocity_email", s.off_session)


def velocity_ip(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Above 10 attempts from one IP address in 10 minutes: 20 points; above 20: 40."""
    return _velocity(f.ip_attempts, "velocity_ip", s.off_session)


def velocity_device(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Above 10 attempts from one device in 10 minutes: 20 points; above 20: 40."""
    return _velocity(f.device_attempts, "velocity_device", s.off_session)


def many_cards_per_device(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Three or four cards on one device in 24 hours: 20 points; five or more: 40."""
    if f.device_cards >= 5:
        return Hit(40, "many_cards_per_device")
    if f.device_cards >= 3:
        return Hit(20, "many_cards_per_device")
    return None


def recent_declines(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Declines of this card in the last 24 hours: one or two 10 points, three+ 30."""
    if f.card_declines >= 3:
        return Hit(30, "recent_declines")
    if f.card_declines >= 1:
        return Hit(10, "recent_declines")
    return None


def card_testing(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """The card-testing guard (TESTING T19): 50 declined authorizations within a minute
    from one customer or IP address block its next attempts; from one merchant, every
    on-session payment of the merchant is challenged with 3-D Secure."""
    if s.off_session:
        return None
    tripped = CARD_TESTING_DECLINES
    if f.customer_declines_last_minute >= tripped or f.ip_declines_last_minute >= tripped:
        return Hit(100, "card_testing")
    if f.merchant_declines_last_minute >= tripped:
        return Hit(t.three_d_secure, "card_testing_merchant")
    return None


def amount_vs_usual(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Far above the merchant's mean in the currency: 5x 15 points, 10x 30."""
    if f.usual_amount_minor is None:
        return None
    if s.amount_minor > 10 * f.usual_amount_minor:
        return Hit(30, "amount_far_above_usual")
    if s.amount_minor > 5 * f.usual_amount_minor:
        return Hit(15, "amount_above_usual")
    return None


def new_customer_large_amount(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """A customer without an earlier successful payment paying at least 3x the
    merchant's usual (or 500 major units without history): 20 points."""
    if not (s.customer_id and s.customer_is_new):
        return None
    if f.usual_amount_minor is not None:
        large = 3 * f.usual_amount_minor
    else:
        large = LARGE_FIRST_PAYMENT_MAJOR_UNITS * 10 ** exponent(s.currency)
    return Hit(20, "new_customer_large_amount") if s.amount_minor >= large else None


def country_mismatch(s: PaymentSignals, f: Facts, t: Thresholds) -> Hit | None:
    """Card, IP and billing countries disagree: card vs IP 20 points, billing vs IP 15,
    card vs billing 10 (only countries that are known count)."""
    points = 0
    for first, second, weight in (
        (s.card_country, s.ip_country, 20),
        (s.billing_country, s.ip_country, 15),
        (s.card_country, s.billing_country, 10),
    ):
        if first and second and first.upper() != second.upper():
            points += weight
    return Hit(points, "country_mismatch") if points else None


Check = Callable[[PaymentSignals, Facts, Thresholds], Hit | None]


@dataclass(frozen=True)
class Rule:
    check: Check
    enabled_by_default: bool = True

    @property
    def description(self) -> str:
        return (self.check.__doc__ or "").split("\n\n")[0].replace("\n", " ").strip()


RULES: dict[str, Rule] = {
    "always_blocked_test_card": Rule(always_blocked_test_card),
    "blocklist": Rule(blocklist),
    "velocity_card": Rule(velocity_card),
    "velocity_card_all_merchants": Rule(velocity_card_all_merchants, enabled_by_default=False),
    "velocity_customer": Rule(velocity_customer),
    "velocity_email": Rule(velocity_email),
    "velocity_ip": Rule(velocity_ip),
    "velocity_device": Rule(velocity_device),
    "many_cards_per_device": Rule(many_cards_per_device),
    "recent_declines": Rule(recent_declines),
    "card_testing": Rule(card_testing),
    "amount_vs_usual": Rule(amount_vs_usual),
    "new_customer_large_amount": Rule(new_customer_large_amount),
    "country_mismatch": Rule(country_mismatch),
}
