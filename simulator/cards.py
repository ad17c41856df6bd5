"""The sandbox's magic test cards and `simulate` scenarios (SPEC §4)."""

import functools
from dataclasses import dataclass

from django.conf import settings

from gateway import crypto


@dataclass(frozen=True)
class Outcome:
    result: str  # succeeded, requires_action, declined, failed (processing error)
    decline_code: str = ""
    message: str = ""


SUCCEEDS = Outcome("succeeded")


def _declined(code: str, message: str) -> Outcome:
    return Outcome("declined", code, message)


PROCESSING_ERROR = Outcome(
    "failed", "processing_error", "An error occurred while processing the card. Try again."
)
FRAUD_BLOCKED = _declined("fraud_blocked", "The payment was blocked as likely fraudulent.")
INSUFFICIENT_FUNDS = _declined("insufficient_funds", "Your card has insufficient funds.")
GENERIC_DECLINE = _declined("generic_decline", "Your card was declined.")

REQUIRES_ACTION = Outcome("requires_action")  # succeeds once the challenge is approved

TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": SUCCEEDS,
    "5555555555554444": SUCCEEDS,
    "378282246310005": SUCCEEDS,
    "6011111111111117": SUCCEEDS,
    "4000000000000259": SUCCEEDS,  # a dispute opens after capture
    "4000000000000002": GENERIC_DECLINE,
    "4000000000009995": INSUFFICIENT_FUNDS,
    "4000000000009987": _declined("lost_card", "Your card was declined."),
    "4000000000009979": _declined("stolen_card", "Your card was declined."),
    "4000000000000069": _declined("expired_card", "Your card has expired."),
    "4000000000000127": _declined("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": PROCESSING_ERROR,
    "4000002500003155": REQUIRES_ACTION,
    # Always blocked by the gateway's fraud screening (a test-mode rule), so it never
    # reaches the acquirer in test mode; live mode refuses it as a test card.
    "4100000000000019": SUCCEEDS,
    "4000000000000341": GENERIC_DECLINE,  # tokenizes and attaches; every charge declines
}

SCENARIOS: dict[str, Outcome] = {
    "success": SUCCEEDS,
    "insufficient_funds": INSUFFICIENT_FUNDS,
    "fraud_detected": FRAUD_BLOCKED,
    "bank_error": PROCESSING_ERROR,
    "network_timeout": SUCCEEDS,  # the acquirer succeeds; the answer is lost in transit
}

LIVE_MODE_TEST_CARD = _declined(
    "live_mode_test_card", "Your card was declined. A test card was used in live mode."
)
AUTHENTICATION_REQUIRED = _declined(
    "authentication_required", "The card requires authentication, impossible off session."
)
AUTHENTICATION_FAILED = _declined(
    "authentication_failed", "The cardholder failed 3-D Secure authentication."
)


@functools.cache
def _test_cards_by_fingerprint(fingerprint_key: str) -> dict[str, str]:
    return {crypto.fingerprint(number, scope="global"): number for number in TEST_CARDS}


def test_card_number(global_fingerprint: str) -> str | None:
    """Which magic test card has this global fingerprint (`crypto.fingerprint(number,
    scope="global")`), if any: tells a saved card apart without opening the vault."""
    if not global_fingerprint:
        return None
    return _test_cards_by_fingerprint(settings.FINGERPRINT_KEY).get(global_fingerprint)


def outcome_for(
    number: str, *, livemode: bool, scenario: str, off_session: bool, three_d_secure: bool = False
) -> Outcome:
    """What the acquirer answers. `three_d_secure`: the gateway asks for a challenge
    (its fraud screening wants one), so a card that would succeed needs one."""
    if livemode:
        outcome = LIVE_MODE_TEST_CARD if number in TEST_CARDS else SUCCEEDS
    else:
        outcome = SCENARIOS[scenario] if scenario else TEST_CARDS.get(number, SUCCEEDS)
    if three_d_secure and outcome == SUCCEEDS:
        outcome = REQUIRES_ACTION
    if outcome.result == "requires_action" and off_session:
        return AUTHENTICATION_REQUIRED
    return outcome
