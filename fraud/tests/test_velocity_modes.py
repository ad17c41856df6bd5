"""Velocity counters keep test and live mode apart (SPEC §2: the modes never mix)."""

import pytest

from fraud.inputs import PaymentSignals
from fraud.services import payment_assess
from gateway import crypto
from payments.tests.helpers import random_pan

pytestmark = pytest.mark.django_db


def _attempt(merchant, number: str, *, livemode: bool, n: int, ip_address: str = ""):
    signals = PaymentSignals(
        merchant_id=merchant.id,
        livemode=livemode,
        attempt_id=f"pay_{'live' if livemode else 'test'}_{n}",
        amount_minor=1000,
        currency="usd",
        card_fingerprint=crypto.fingerprint(number, scope=merchant.id),
        card_global_fingerprint=crypto.fingerprint(number, scope="global"),
        ip_address=ip_address,
    )
    return payment_assess(signals)[1]


def test_test_mode_attempts_do_not_count_in_live_mode(merchant):
    number = random_pan()
    for n in range(5):
        _attempt(merchant, number, livemode=False, n=n)

    live = _attempt(merchant, number, livemode=True, n=0)
    test = _attempt(merchant, number, livemode=False, n=5)

    assert (live.card_attempts, live.card_attempts_all_merchants) == (1, 1)
    assert (test.card_attempts, test.card_attempts_all_merchants) == (6, 6)


def test_ipv6_addresses_of_one_subscriber_count_as_one(merchant):
    """A card tester rotating addresses within its /64 is still one address to velocity."""
    for n, address in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::ff", "2001:db8:1:2:a::9"]):
        facts = _attempt(merchant, random_pan(), livemode=False, n=n, ip_address=address)

    elsewhere = _attempt(merchant, random_pan(), livemode=False, n=9, ip_address="2001:db8:1:3::1")
    assert (facts.ip_attempts, elsewhere.ip_attempts) == (3, 1)
