"""manage.py seed_demo: demo data in most states, through the services."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from merchants.models import Merchant
from payments.models import Customer, Payment

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_demo_merchants_test_mode_with_payments_in_most_states():
    out, err = io.StringIO(), io.StringIO()

    call_command("seed_demo", customers=11, payments=44, seed=7, stdout=out, stderr=err)

    merchant = Merchant.objects.get()
    payments = Payment.objects.filter(merchant=merchant, livemode=False)
    statuses = Counter(payments.values_list("status", flat=True))
    assert payments.count() == 44 + 2
    assert {
        "captured",
        "partially_refunded",
        "refunded",
        "authorized",
        "canceled",
        "failed",
        "requires_action",
    } <= set(statuses), statuses
    failures = set(payments.filter(status="failed").values_list("failure_code", flat=True))
    assert {"insufficient_funds", "generic_decline", "fraud_blocked"} <= failures, failures
    assert Customer.objects.filter(merchant=merchant).count() == 11
    assert "sk_test_" in out.getvalue()  # the merchant was new: its keys, once
    assert "44/44" in err.getvalue()  # the progress bar
    call_command("ledger_check", stdout=io.StringIO())  # exits non-zero when unbalanced


def test_seed_demo_adds_to_an_existing_demo_merchant():
    call_command("seed_demo", customers=1, payments=1, stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()

    call_command("seed_demo", customers=1, payments=1, stdout=out, stderr=io.StringIO())

    assert Merchant.objects.count() == 1
    assert Payment.objects.count() == 2 * (1 + 2)
    assert "sk_test_" not in out.getvalue()


@pytest.mark.parametrize("arguments", [["--customers", "0"], ["--payments", "-5"]])
def test_seed_demo_refuses_counts_out_of_range_and_seeds_nothing(arguments):
    with pytest.raises(CommandError, match="or more"):
        call_command("seed_demo", *arguments, stdout=io.StringIO(), stderr=io.StringIO())

    assert not Merchant.objects.exists()
