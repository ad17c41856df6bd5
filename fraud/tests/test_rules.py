"""Each rule on its own, the decision levels at their boundaries, and how weights add
up. Pure functions: no database."""

import pytest

from fraud import rules
from fraud.enums import Decision
from fraud.inputs import Facts, PaymentSignals, Thresholds
from fraud.scoring import ScreeningConfig, assess, decide

T = Thresholds()


def signals(**changes) -> PaymentSignals:
    base = {
        "merchant_id": "mer_1",
        "livemode": False,
        "attempt_id": "pay_1",
        "amount_minor": 1000,
        "currency": "usd",
        "card_fingerprint": "fp",
        "card_country": "US",
    }
    return PaymentSignals(**{**base, **changes})


def points(rule, s=None, **facts) -> int | None:
    hit = rule(s or signals(), Facts(**facts), T)
    return None if hit is None else hit.points


# --- decisions at the SPEC §9 boundaries ----------------------------------------------


@pytest.mark.parametrize(
    "score, decision",
    [
        (0, Decision.APPROVE),
        (29, Decision.APPROVE),
        (30, Decision.THREE_D_SECURE),
        (49, Decision.THREE_D_SECURE),
        (50, Decision.REVIEW),
        (69, Decision.REVIEW),
        (70, Decision.BLOCK),
        (100, Decision.BLOCK),
    ],
)
def test_decision_levels_at_their_boundaries(score, decision):
    assert decide(score, T) == decision


def test_thresholds_are_per_merchant():
    strict = Thresholds(three_d_secure=10, review=20, block=40)

    assert [decide(s, strict) for s in (9, 10, 20, 40)] == [
        Decision.APPROVE,
        Decision.THREE_D_SECURE,
        Decision.REVIEW,
        Decision.BLOCK,
    ]


@pytest.mark.parametrize(
    "weight, score, decision",
    [
        (145, 29, Decision.APPROVE),  # 20 * 145 % = 29
        (150, 30, Decision.THREE_D_SECURE),
        (245, 49, Decision.THREE_D_SECURE),
        (250, 50, Decision.REVIEW),
        (345, 69, Decision.REVIEW),
        (350, 70, Decision.BLOCK),
    ],
)
def test_weighted_points_decide_at_the_boundaries(weight, score, decision):
    # one rule worth 20 points (card country differs from the IP's), weighted
    config = ScreeningConfig(weights={"country_mismatch": weight})

    assessment = assess(signals(ip_country="DE"), Facts(), config)

    assert (assessment.score, assessment.decision) == (score, decision)
    assert assessment.reasons == ("country_mismatch",)
    assert assessment.risk == {"score": score, "level": decision, "reasons": ["country_mismatch"]}


def test_points_add_up_and_cap_at_100():
    facts = Facts(blocklisted=frozenset({"email"}), card_declines=3)

    assessment = assess(signals(ip_country="DE"), facts, ScreeningConfig())

    assert assessment.score == 100
    assert assessment.points == {"blocklist": 100, "recent_declines": 30, "country_mismatch": 20}
    assert assessment.decision == Decision.BLOCK


def test_a_rule_switched_off_adds_nothing():
    config = ScreeningConfig(weights={"recent_declines": 100})

    assessment = assess(signals(ip_country="DE"), Facts(card_declines=1), config)

    assert assessment.points == {"recent_declines": 10}


def test_default_rules_leave_the_cross_merchant_card_rule_off():
    assert "velocity_card_all_merchants" not in ScreeningConfig().weights
    assert set(ScreeningConfig().weights) == set(rules.RULES) - {"velocity_card_all_merchants"}


# --- each rule -----------------------------------------------------------------------


def test_always_blocked_test_card():
    assert points(rules.always_blocked_test_card, is_always_blocked_test_card=True) == 100
    assert points(rules.always_blocked_test_card) is None


@pytest.mark.parametrize("kind", ["card_fingerprint", "email", "ip_address", "card_bin"])
def test_blocklist(kind):
    hit = rules.blocklist(signals(), Facts(blocklisted=frozenset({kind})), T)

    assert (hit.points, hit.reason) == (100, f"blocklist_{kind}")
    assert rules.blocklist(signals(), Facts(), T) is None


@pytest.mark.parametrize(
    "attempts, expected",
    [(1, None), (5, None), (6, 30), (10, 30), (11, 70), (40, 70)],
)
def test_velocity_card_counts_the_current_attempt(attempts, expected):
    assert points(rules.velocity_card, card_attempts=attempts) == expected


def test_velocity_card_follows_the_merchants_thresholds():
    strict = Thresholds(three_d_secure=20, review=40, block=60)

    assert rules.velocity_card(signals(), Facts(card_attempts=6), strict).points == 20
    assert rules.velocity_card(signals(), Facts(card_attempts=11), strict).points == 60


@pytest.mark.parametrize(
    "rule, fact",
    [
        (rules.velocity_card, "card_attempts"),
        (rules.velocity_card_all_merchants, "card_attempts_all_merchants"),
        (rules.velocity_customer, "customer_attempts"),
        (rules.velocity_email, "email_attempts"),
        (rules.velocity_ip, "ip_attempts"),
        (rules.velocity_device, "device_attempts"),
        (rules.card_testing, "ip_declines_last_minute"),
    ],
)
def test_velocity_rules_ignore_off_session_charges(rule, fact):
    assert rule(signals(off_session=True), Facts(**{fact: 100}), T) is None
    assert rule(signals(), Facts(**{fact: 100}), T) is not None


@pytest.mark.parametrize("attempts, expected", [(10, None), (11, 30), (20, 30), (21, 70)])
def test_velocity_card_all_merchants(attempts, expected):
    assert points(rules.velocity_card_all_merchants, card_attempts_all_merchants=attempts) == (
        expected
    )


@pytest.mark.parametrize(
    "rule, fact",
    [
        (rules.velocity_customer, "customer_attempts"),
        (rules.velocity_email, "email_attempts"),
        (rules.velocity_ip, "ip_attempts"),
        (rules.velocity_device, "device_attempts"),
    ],
)
@pytest.mark.parametrize("count, expected", [(10, None), (11, 20), (20, 20), (21, 40)])
def test_velocity_per_customer_email_ip_device(rule, fact, count, expected):
    assert points(rule, **{fact: count}) == expected


@pytest.mark.parametrize("cards, expected", [(1, None), (2, None), (3, 20), (4, 20), (5, 40)])
def test_many_cards_per_device(cards, expected):
    assert points(rules.many_cards_per_device, device_cards=cards) == expected


@pytest.mark.parametrize("declines, expected", [(0, None), (1, 10), (2, 10), (3, 30)])
def test_recent_declines(declines, expected):
    assert points(rules.recent_declines, card_declines=declines) == expected


@pytest.mark.parametrize(
    "facts, expected",
    [
        ({"ip_declines_last_minute": 49}, None),
        ({"ip_declines_last_minute": 50}, (100, "card_testing")),
        ({"customer_declines_last_minute": 50}, (100, "card_testing")),
        ({"merchant_declines_last_minute": 49}, None),
        ({"merchant_declines_last_minute": 50}, (30, "card_testing_merchant")),
    ],
)
def test_card_testing_guard(facts, expected):
    hit = rules.card_testing(signals(), Facts(**facts), T)

    assert (hit and (hit.points, hit.reason)) == expected


@pytest.mark.parametrize(
    "amount, usual, expected",
    [(5000, None, None), (5000, 1000, None), (5001, 1000, 15), (10001, 1000, 30)],
)
def test_amount_vs_usual(amount, usual, expected):
    s = signals(amount_minor=amount)

    assert points(rules.amount_vs_usual, s, usual_amount_minor=usual) == expected


@pytest.mark.parametrize(
    "changes, usual, expected",
    [
        ({"customer_id": "cus_1", "customer_is_new": True, "amount_minor": 50_000}, None, 20),
        ({"customer_id": "cus_1", "customer_is_new": True, "amount_minor": 49_999}, None, None),
        ({"customer_id": "cus_1", "customer_is_new": True, "amount_minor": 500}, None, None),
        # JPY has no minor unit: 500 yen is already "large" without history
        (
            {
                "customer_id": "cus_1",
                "customer_is_new": True,
                "amount_minor": 500,
                "currency": "jpy",
            },
            None,
            20,
        ),
        ({"customer_id": "cus_1", "customer_is_new": True, "amount_minor": 3000}, 1000, 20),
        ({"customer_id": "cus_1", "customer_is_new": False, "amount_minor": 90_000}, None, None),
        ({"customer_is_new": True, "amount_minor": 90_000}, None, None),  # no customer
    ],
)
def test_new_customer_large_amount(changes, usual, expected):
    s = signals(**changes)

    assert points(rules.new_customer_large_amount, s, usual_amount_minor=usual) == expected


@pytest.mark.parametrize(
    "card, ip, billing, expected",
    [
        ("US", "", "", None),
        ("US", "US", "US", None),
        ("US", "DE", "", 20),
        ("US", "DE", "US", 35),
        ("US", "DE", "FR", 45),
        ("US", "US", "FR", 25),
        ("US", "", "FR", 10),
        ("us", "US", "", None),
    ],
)
def test_country_mismatch(card, ip, billing, expected):
    s = signals(card_country=card, ip_country=ip, billing_country=billing)

    assert points(rules.country_mismatch, s) == expected


def test_every_rule_documents_itself():
    for name, rule in rules.RULES.items():
        assert rule.description, name
