"""Fraud screening of payments (SPEC §9): what payments tells the fraud app about an
attempt, and what it does with the answer.

The fraud app scores a plain `PaymentSignals` built here and never imports payments.
Screening runs before the authorization is reserved, outside any transaction; its
assessment is saved in the transaction that reserves (or blocks) the payment.
"""

from dataclasses import dataclass

from fraud import services as fraud
from fraud.enums import Decision, ReviewStatus
from fraud.inputs import Assessment, Facts, PaymentSignals
from payments import vault
from payments.enums import PaymentStatus, SimulateScenario
from payments.models import Payment

S = PaymentStatus
FRAUD_BLOCKED_MESSAGE = "The payment was blocked as likely fraudulent."


@dataclass(frozen=True)
class Screening:
    signals: PaymentSignals
    assessment: Assessment
    facts: Facts | None

    @property
    def blocks(self) -> bool:
        return self.assessment.decision == Decision.BLOCK


def _customer_is_new(payment: Payment) -> bool:
    """No earlier payment of the customer got money (authorized or captured)."""
    succeeded = (S.AUTHORIZED, S.CAPTURED, S.PARTIALLY_REFUNDED, S.REFUNDED)
    earlier = Payment.objects.filter(customer_id=payment.customer_id, status__in=succeeded)
    return not earlier.exclude(pk=payment.pk).exists()


def payment_signals(payment: Payment, *, for_scoring: bool = True) -> PaymentSignals:
    """The attempt as fraud screening sees it: the card (fingerprints, BIN, country),
    the customer, and the merchant's `risk_context`, completed where the context is
    silent from the customer's e-mail (the merchant's own record), then the card's
    billing details (which whoever tokenized the card wrote)."""
    context = payment.risk_context or {}
    method = payment.payment_method
    billing = vault.billing_details(method) if method is not None else {}
    email = context.get("email") or ""
    if not email and payment.customer is not None:
        email = vault.customer_pii(payment.customer).get("email") or ""
    email = email or billing.get("email") or ""
    billing_country = context.get("billing_country") or (billing.get("address") or {}).get(
        "country"
    )
    return PaymentSignals(
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        attempt_id=payment.id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        card_fingerprint=method.card_fingerprint if method else "",
        card_global_fingerprint=method.card_global_fingerprint if method else "",
        card_brand=method.card_brand if method else "",
        card_bin=method.card_bin if method else "",
        card_country=method.card_country if method else "",
        customer_id=payment.customer_id or "",
        customer_is_new=bool(payment.customer_id) and for_scoring and _customer_is_new(payment),
        email=email,
        ip_address=context.get("ip_address", ""),
        ip_country=context.get("ip_country", ""),
        device_id=context.get("device_id", ""),
        billing_country=(billing_country or "").upper(),
        off_session=payment.off_session,
    )


# `simulate: fraud_detected` (test mode) is a fraud block (SPEC §5), so screening is
# what blocks it, before any provider call, and the payment's risk says so.
SIMULATED_FRAUD = Assessment(
    score=100,
    decision=Decision.BLOCK,
    reasons=("simulated_fraud_detected",),
    points={"simulated_fraud_detected": 100},
)


def payment_screen(payment: Payment) -> Screening:
    """Score the payment before its authorization is reserved and set `payment.risk`
    (not saved). Counts the attempt in the velocity counters."""
    signals = payment_signals(payment)
    if payment.simulate == SimulateScenario.FRAUD_DETECTED:
        assessment, facts = SIMULATED_FRAUD, None
    else:
        assessment, facts = fraud.payment_assess(signals)
    payment.risk = assessment.risk
    return Screening(signals=signals, assessment=assessment, facts=facts)


def screening_save(screening: Screening) -> None:
    """Store the assessment; inside the transaction that reserves or blocks the payment."""
    fraud.assessment_save(
        signals=screening.signals, assessment=screening.assessment, facts=screening.facts
    )


def holds_for_review(payment: Payment) -> bool:
    return (payment.risk or {}).get("level") == Decision.REVIEW


def screening_decline_record(payment: Payment) -> None:
    """The provider declined the payment: count it for the recent-declines rule and the
    card-testing guard."""
    fraud.decline_record(payment_signals(payment, for_scoring=False))


def review_open(payment: Payment) -> None:
    """The payment was just held (`in_review`): open its review, emit `review.opened`."""
    fraud.review_open(payment_id=payment.id)


def review_close(payment: Payment, *, status: str = ReviewStatus.APPROVED) -> None:
    """The held payment was released or canceled: close its review (`review.closed`)."""
    fraud.review_close(payment_id=payment.id, status=status)
