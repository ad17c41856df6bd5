"""What screening reads: the payment as plain data, the facts gathered about it, and
the merchant's configuration. Payments builds `PaymentSignals`; nothing here knows
about payment rows, so rules are pure functions and easy to test."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PaymentSignals:
    """One payment attempt, as payments describes it to fraud screening."""

    merchant_id: str
    livemode: bool
    attempt_id: str  # the payment's id: one attempt per payment
    amount_minor: int
    currency: str
    card_fingerprint: str = ""  # per merchant, as the API shows it
    card_global_fingerprint: str = field(default="", repr=False)  # across merchants; internal
    card_brand: str = ""
    card_bin: str = ""  # the first six digits
    card_country: str = ""
    customer_id: str = ""
    customer_is_new: bool = False  # no earlier successful payment
    email: str = field(default="", repr=False)
    ip_address: str = ""
    ip_country: str = ""
    device_id: str = ""
    billing_country: str = ""
    off_session: bool = False


@dataclass(frozen=True)
class Facts:
    """What the counters, blocklists and history say about the attempt.

    Attempt counts include the attempt being scored (SPEC §9: "counting the current
    attempt"); declines are those recorded before it.
    """

    card_attempts: int = 0  # this merchant, this card, last 10 minutes
    card_attempts_all_merchants: int = 0
    customer_attempts: int = 0
    email_attempts: int = 0
    ip_attempts: int = 0
    device_attempts: int = 0
    device_cards: int = 0  # distinct cards seen on the device, last 24 hours
    card_declines: int = 0  # declines of this card at this merchant, last 24 hours
    merchant_declines_last_minute: int = 0
    customer_declines_last_minute: int = 0
    ip_declines_last_minute: int = 0
    blocklisted: frozenset[str] = frozenset()  # BlocklistType values that matched
    usual_amount_minor: int | None = None  # the merchant's mean in this currency, if known
    is_always_blocked_test_card: bool = False
    counters_available: bool = True


@dataclass(frozen=True)
class Thresholds:
    """Scores from which each decision applies (per merchant; SPEC §9 defaults)."""

    three_d_secure: int = 30
    review: int = 50
    block: int = 70


@dataclass(frozen=True)
class Hit:
    """A rule's contribution: points towards the score, and why."""

    points: int
    reason: str


@dataclass(frozen=True)
class Assessment:
    """The outcome of screening one attempt."""

    score: int
    decision: str  # a Decision value
    reasons: tuple[str, ...]
    points: dict[str, int]  # rule name -> weighted points it added

    @property
    def risk(self) -> dict:
        """The payment's `risk` object (SPEC §4): score, level and reasons."""
        return {"score": self.score, "level": self.decision, "reasons": list(self.reasons)}
