"""T20 for providers: credentials, tokens and card data stay out of every log record,
even with the SDK loggers turned up to DEBUG. (The whole suite is also scanned: see
the session fixture in the root conftest.)"""

import logging

import pytest

from conftest import _SecretScan
from payments.tests.conftest import card_data
from payments.tests.fakes.secrets import new_secret

pytestmark = pytest.mark.django_db


def test_stripe_at_debug_logs_no_key_card_number_or_cvc(pay, add_account, localstripe_url, caplog):
    # given the stripe SDK's logger at DEBUG, which logs the parameters it posts
    _, credentials = add_account("stripe", api_base=localstripe_url)
    stripe_logger = logging.getLogger("stripe")
    level = stripe_logger.level
    caplog.set_level(logging.DEBUG)
    stripe_logger.setLevel(logging.DEBUG)
    try:
        response = pay(provider="stripe", payment_method_data=card_data(cvc="737"))
    finally:
        stripe_logger.setLevel(level)

    # then
    assert response.json()["status"] == "captured"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "Post details" in text  # the SDK did log its request parameters...
    for secret in (*credentials.values(), "4242424242424242", "cvc]=737", "cvc%5D=737"):
        assert secret not in text  # ...with none of these in the clear
    assert "cvc]=***" in text or "cvc%5D=***" in text
    assert stripe_logger.level == logging.INFO


def test_the_suite_wide_scan_flags_a_secret_that_slipped_through():
    scan = _SecretScan()
    generated = new_secret("EL")

    for message in (
        "key sk_test_abcdefghijklmnop",
        f"client {generated}",
        "Authorization: Bearer A21AAabcdefghijk",
        "fine: sk_test_[REDACTED] Bearer [REDACTED]",
    ):
        scan.emit(logging.LogRecord("x", logging.DEBUG, __file__, 1, message, (), None))

    assert len(scan.leaks) == 3
