"""Fraud screening use-cases: assess an attempt, save the assessment, record declines,
open and close reviews, edit blocklists.

`payment_assess` runs before the payment's authorization is reserved and outside any
transaction: it records the attempt in the velocity counters and reads them back in
one round trip. Everything that writes next to a payment change (`assessment_save`,
`review_open`, `review_close`) runs inside the caller's transaction.
"""

import ipaddress
import logging
import time

import redis
from django.db import IntegrityError, transaction
from django.utils import timezone

from fraud import selectors
from fraud.counters import Event, Window, counters
from fraud.enums import BlocklistType, Decision, ReviewStatus
from fraud.inputs import Assessment, Facts, PaymentSignals
from fraud.models import Assessment as AssessmentRow
from fraud.models import BlocklistItem, Review
from fraud.rules import ATTEMPT_WINDOW, CARD_TESTING_WINDOW, DECLINE_WINDOW, DEVICE_WINDOW
from fraud.scoring import assess
from gateway import crypto
from gateway.api.errors import InvalidRequestError
from gateway.audit import audit_record
from gateway.events import event_emit
from gateway.masking import mask_email
from simulator.cards import test_card_number

logger = logging.getLogger(__name__)

ALWAYS_BLOCKED_TEST_CARD = "4100000000000019"


def _test_card_number(signals: PaymentSignals) -> str | None:
    """Which of the simulator's magic test cards this is, in test mode; else None."""
    if signals.livemode:
        return None
    return test_card_number(signals.card_global_fingerprint)


# --- velocity counters ---------------------------------------------------------------


def _hashed(kind: str, value: str) -> str:
    """E-mails, IP addresses and devices are counted under a keyed hash, never in clear."""
    return crypto.fingerprint(value.strip().lower(), scope=f"fraud-{kind}")


def _counted_network(ip_address: str) -> str:
    """What per-address velocity counts: an IPv6 host's /64 (one subscriber's, whose
    addresses a card tester rotates at will), an IPv4 address itself."""
    normalized = _normalized_ip(ip_address) or ip_address
    if ":" not in normalized:
        return normalized
    return str(ipaddress.ip_network(f"{normalized}/64", strict=False))


def _counter_keys(s: PaymentSignals) -> dict[str, str]:
    """Counter key per dimension of this attempt (only the dimensions it has). Test and
    live mode count apart: a test suite's attempts never weigh on live payments."""
    mode = "live" if s.livemode else "test"
    m = f"{s.merchant_id}:{mode}"
    keys = {}
    if s.card_fingerprint:
        keys["card"] = f"a:{m}:card:{s.card_fingerprint}"
        keys["card_declines"] = f"d:{m}:card:{s.card_fingerprint}"
    if s.card_global_fingerprint:
        keys["card_all_merchants"] = f"a:*:{mode}:card:{s.card_global_fingerprint}"
    if s.customer_id:
        keys["customer"] = f"a:{m}:cus:{s.customer_id}"
        keys["customer_declines"] = f"d:{m}:cus:{s.customer_id}"
    if s.email:
        keys["email"] = f"a:{m}:email:{_hashed('email', s.email)}"
    if s.ip_address:
        ip = _hashed("ip", _counted_network(s.ip_address))
        keys["ip"] = f"a:{m}:ip:{ip}"
        keys["ip_declines"] = f"d:{m}:ip:{ip}"
    if s.device_id:
        device = _hashed("device", s.device_id)
        keys["device"] = f"a:{m}:dev:{device}"
        keys["device_cards"] = f"c:{m}:dev:{device}"
    keys["merchant_declines"] = f"d:{m}"
    return keys


# fact -> (dimension, window); attempts are recorded under the same dimensions.
_ATTEMPT_FACTS = {
    "card_attempts": "card",
    "card_attempts_all_merchants": "card_all_merchants",
    "customer_attempts": "customer",
    "email_attempts": "email",
    "ip_attempts": "ip",
    "device_attempts": "device",
}
_OTHER_FACTS = {
    "device_cards": ("device_cards", DEVICE_WINDOW),
    "card_declines": ("card_declines", DECLINE_WINDOW),
    "merchant_declines_last_minute": ("merchant_declines", CARD_TESTING_WINDOW),
    "customer_declines_last_minute": ("customer_declines", CARD_TESTING_WINDOW),
    "ip_declines_last_minute": ("ip_declines", CARD_TESTING_WINDOW),
}


def _is_counted(signals: PaymentSignals) -> bool:
    """Off-session charges are not counted (SPEC §9), nor the simulator's magic cards in
    test mode: integration suites charge 4242 all day, and must keep getting its
    scripted outcome. Any other card number counts in test mode too."""
    return not signals.off_session and _test_card_number(signals) is None


def _counted_facts(signals: PaymentSignals) -> dict[str, int]:
    """Record the attempt, then count every window, in one round trip."""
    keys = _counter_keys(signals)
    record = [
        Event(keys[dimension], signals.attempt_id, ATTEMPT_WINDOW)
        for dimension in _ATTEMPT_FACTS.values()
        if dimension in keys
    ]
    if "device_cards" in keys and signals.card_fingerprint:
        record.append(Event(keys["device_cards"], signals.card_fingerprint, DEVICE_WINDOW))
    wanted = {
        fact: Window(keys[dimension], ATTEMPT_WINDOW)
        for fact, dimension in _ATTEMPT_FACTS.items()
        if dimension in keys
    }
    wanted.update(
        (fact, Window(keys[dimension], seconds))
        for fact, (dimension, seconds) in _OTHER_FACTS.items()
        if dimension in keys
    )
    counts = counters().observe(now=time.time(), record=record, count=list(wanted.values()))
    return dict(zip(wanted, counts, strict=True))


def decline_record(signals: PaymentSignals) -> None:
    """Count a declined authorization (recent declines, card-testing guard). Call after
    the decline is committed; a counter outage is logged, never raised."""
    if not _is_counted(signals):
        return
    keys = _counter_keys(signals)
    record = [
        Event(keys[dimension], signals.attempt_id, seconds)
        for dimension, seconds in (
            ("card_declines", DECLINE_WINDOW),
            ("merchant_declines", CARD_TESTING_WINDOW),
            ("customer_declines", CARD_TESTING_WINDOW),
            ("ip_declines", CARD_TESTING_WINDOW),
        )
        if dimension in keys
    ]
    try:
        counters().observe(now=time.time(), record=record, count=[])
    except redis.RedisError:
        logger.warning("Fraud counters unavailable; decline of %s not counted", signals.attempt_id)


# --- assessing ------------------------------------------------------------------------


def _facts(signals: PaymentSignals, prefetched: dict) -> Facts:
    counted: dict[str, int] = {}
    available = True
    if _is_counted(signals):
        try:
            counted = _counted_facts(signals)
        except redis.RedisError:
            # Fail open: velocity rules are skipped, every other rule still applies.
            logger.warning("Fraud counters unavailable; %s scored without velocity", signals)
            available = False
    return Facts(
        **counted,
        blocklisted=selectors.blocklist_matches(
            merchant_id=signals.merchant_id,
            livemode=signals.livemode,
            values={
                BlocklistType.CARD_FINGERPRINT: signals.card_fingerprint,
                BlocklistType.EMAIL: _normalized_email(signals.email),
                BlocklistType.IP_ADDRESS: _normalized_ip(signals.ip_address),
                BlocklistType.CARD_BIN: signals.card_bin,
            },
            prefetched=prefetched,
        ),
        usual_amount_minor=selectors.usual_amount_get(
            merchant_id=signals.merchant_id,
            livemode=signals.livemode,
            currency=signals.currency,
            prefetched=prefetched,
        ),
        is_always_blocked_test_card=_test_card_number(signals) == ALWAYS_BLOCKED_TEST_CARD,
        counters_available=available,
    )


def payment_assess(signals: PaymentSignals) -> tuple[Assessment, Facts | None]:
    """Score one payment attempt and decide (SPEC §9). Records the attempt in the
    velocity counters first, so the counts include it. Never inside a transaction
    that a provider call could follow; writes nothing but counters."""
    prefetched = selectors.screening_prefetch(
        merchant_id=signals.merchant_id, livemode=signals.livemode, currency=signals.currency
    )
    config = selectors.screening_config_get(merchant_id=signals.merchant_id, prefetched=prefetched)
    if not config.enabled:
        return Assessment(score=0, decision=Decision.APPROVE, reasons=(), points={}), None
    facts = _facts(signals, prefetched)
    return assess(signals, facts, config), facts


def _inputs(signals: PaymentSignals, facts: Facts | None) -> dict:
    shown = {
        name: getattr(signals, name)
        for name in signals.__dataclass_fields__
        if name not in ("card_global_fingerprint", "email", "attempt_id")
    }
    shown["email"] = mask_email(_normalized_email(signals.email))
    if facts is None:
        return {"signals": shown, "screening": "off"}
    facts_shown = {name: getattr(facts, name) for name in facts.__dataclass_fields__}
    facts_shown["blocklisted"] = sorted(facts.blocklisted)
    return {"signals": shown, "facts": facts_shown}


def assessment_save(
    *, signals: PaymentSignals, assessment: Assessment, facts: Facts | None
) -> AssessmentRow:
    """Store the assessment of payment `signals.attempt_id`; call inside the transaction
    that creates or confirms the payment. The amounts of attempts that are not blocked
    make the merchant's usual amount."""
    return AssessmentRow.objects.create(
        payment_id=signals.attempt_id,
        merchant_id=signals.merchant_id,
        livemode=signals.livemode,
        amount_minor=signals.amount_minor,
        currency=signals.currency,
        score=assessment.score,
        decision=assessment.decision,
        reasons=list(assessment.reasons),
        points=assessment.points,
        inputs=_inputs(signals, facts),
    )


# --- reviews --------------------------------------------------------------------------


def review_snapshot(review: Review) -> dict:
    """A review as events show it (`review.opened`, `review.closed`)."""
    assessment = review.assessment
    return {
        "id": review.id,
        "object": "review",
        "payment": review.payment_id,
        "open": review.status == ReviewStatus.OPEN,
        "status": review.status,
        "score": assessment.score,
        "reasons": assessment.reasons,
        "livemode": review.livemode,
        "created": int(review.opened_at.timestamp()),
        "closed": int(review.closed_at.timestamp()) if review.closed_at else None,
    }


def _emit(event_type: str, review: Review) -> None:
    event_emit(
        type=event_type,
        snapshot=review_snapshot(review),
        merchant_id=review.merchant_id,
        livemode=review.livemode,
    )


def review_open(*, payment_id: str) -> Review:
    """Open the review of a payment that was just held (`in_review`); emits
    `review.opened`. Call inside the transaction that holds the payment."""
    assessment = AssessmentRow.objects.get(payment_id=payment_id)
    review = Review.objects.create(
        assessment=assessment,
        payment_id=payment_id,
        merchant_id=assessment.merchant_id,
        livemode=assessment.livemode,
    )
    _emit("review.opened", review)
    return review


def review_close(*, payment_id: str, status: str) -> Review | None:
    """Close the payment's open review as approved, rejected or canceled; emits
    `review.closed`. None if it has no open review. Call inside the transaction that
    releases or cancels the payment."""
    review = (
        Review.objects.select_for_update()
        .select_related("assessment")
        .filter(payment_id=payment_id, status=ReviewStatus.OPEN)
        .first()
    )
    if review is None:
        return None
    review.status = status
    review.closed_at = timezone.now()
    review.save(update_fields=["status", "closed_at"])
    _emit("review.closed", review)
    return review


# --- blocklists -----------------------------------------------------------------------


def _normalized_email(value: str) -> str:
    return value.strip().lower()


def _normalized_ip(value: str) -> str:
    """One form per address: an IPv4 address written as IPv6 (`::ffff:203.0.113.9`) is
    that IPv4 address."""
    try:
        address = ipaddress.ip_address(value.strip()) if value else None
    except ValueError:
        return ""
    if address is None:
        return ""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.compressed


def blocklist_value_normalize(kind: str, value: str) -> str:
    """The stored form of a blocklist value; ValueError when it is not one."""
    value = value.strip()
    if kind == BlocklistType.EMAIL:
        normalized = _normalized_email(value)
        if "@" not in normalized[1:-1]:
            raise ValueError("Enter an e-mail address.")
    elif kind == BlocklistType.IP_ADDRESS:
        normalized = _normalized_ip(value)
        if not normalized:
            raise ValueError("Enter an IPv4 or IPv6 address.")
    elif kind == BlocklistType.CARD_BIN:
        normalized = value
        if not (normalized.isascii() and normalized.isdigit() and len(normalized) == 6):
            raise ValueError("A BIN is the first six digits of a card number.")
    elif kind == BlocklistType.CARD_FINGERPRINT:
        normalized = value.lower()
        if not (normalized.isascii() and normalized.isalnum() and 8 <= len(normalized) <= 64):
            raise ValueError("Enter a card fingerprint as the API shows it.")
    else:
        raise ValueError(f"Unknown blocklist type {kind!r}.")
    return normalized


@transaction.atomic
def blocklist_item_create(
    *, merchant, livemode: bool, type: str, value: str, actor: str
) -> BlocklistItem:
    """Add a value to the merchant's blocklist (audited). Raises InvalidRequestError for
    a malformed value or one already listed."""
    try:
        normalized = blocklist_value_normalize(type, value)
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="value") from None
    try:
        with transaction.atomic():
            item = BlocklistItem.objects.create(
                merchant=merchant, livemode=livemode, type=type, value=normalized
            )
    except IntegrityError:
        raise InvalidRequestError(
            "This value is already on the blocklist.", code="resource_already_exists", param="value"
        ) from None
    audit_record(
        actor=actor,
        action="blocklist_item.created",
        obj=item,
        merchant_id=merchant.id,
        data={"type": type},
    )
    return item


def fraud_settings_audit(*, settings, actor: str, changed: dict, rules: list[dict]) -> None:
    """Record who changed a merchant's screening and how: each setting's value before
    and after, and which fields of which rules (admin edits; call in their transaction)."""
    audit_record(
        actor=actor,
        action="fraud_settings.changed",
        obj=settings,
        merchant_id=settings.merchant_id,
        data={
            "changed": {
                name: [getattr(value, "pk", value) for value in values]
                for name, values in changed.items()
            },
            "rules": rules,
        },
    )


@transaction.atomic
def fraud_settings_delete(*, settings, actor: str) -> None:
    """Put a merchant back on the default screening (audited with the terms it had)."""
    audit_record(
        actor=actor,
        action="fraud_settings.deleted",
        obj=settings,
        merchant_id=settings.merchant_id,
        data={
            "is_enabled": settings.is_enabled,
            "three_d_secure_from": settings.three_d_secure_from,
            "review_from": settings.review_from,
            "block_from": settings.block_from,
            "rules": [
                {"rule": rule.rule, "is_enabled": rule.is_enabled, "weight": rule.weight}
                for rule in settings.rules.order_by("rule")
            ],
        },
    )
    settings.delete()


@transaction.atomic
def blocklist_item_delete(*, item: BlocklistItem, actor: str) -> None:
    """Remove a value from the blocklist (audited)."""
    audit_record(
        actor=actor,
        action="blocklist_item.deleted",
        obj=item,
        merchant_id=item.merchant_id,
        data={"type": item.type},
    )
    item.delete()
