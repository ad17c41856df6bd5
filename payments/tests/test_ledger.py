import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from merchants.models import FeeRule
from payments.fees import fee_for
from payments.ledger import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    UnbalancedTransaction,
    ledger_post,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "amount, rules, expected",
    [
        (1000, [], 59),  # default 2.9 % + 30: 29 + 30
        (1, [], 1),  # never more than the amount
        (1000, [("", 100, 0)], 10),
        (1000, [("", 100, 0), ("usd", 250, 5)], 30),  # the currency's own rule wins
        (1050, [("usd", 333, 0)], 35),  # 34.965 rounds half up to 35
    ],
)
def test_fee_schedule(merchant, amount, rules, expected):
    for currency, bps, fixed in rules:
        FeeRule.objects.create(
            merchant=merchant, currency=currency, percent_bps=bps, fixed_minor=fixed
        )

    assert fee_for(merchant_id=merchant.id, amount_minor=amount, currency="usd") == expected


def test_capture_and_refund_postings_balance_and_feed_the_balance(pay, test_client):
    # given a capture of 1000 (fee 59) and a refund of 400
    payment_id = pay().json()["id"]
    refund = test_client.post(
        f"/v1/payments/{payment_id}/refund", {"amount": 400}, format="json"
    ).json()

    # then
    charge = LedgerTransaction.objects.get(source_id=payment_id)
    assert sorted(charge.entries.values_list("account", "amount_minor")) == [
        (Account.FEE_REVENUE, -59),
        (Account.MERCHANT_PENDING, -941),
        (Account.PROVIDER_CLEARING, 1000),
    ]
    balance = test_client.get("/v1/balance").json()
    assert balance == {
        "object": "balance",
        "available": [{"amount": 0, "currency": "usd"}],  # as Stripe: every currency
        "pending": [{"amount": 541, "currency": "usd"}],
        "livemode": False,
    }
    listed = test_client.get("/v1/balance_transactions").json()["data"]
    assert [(t["type"], t["amount"], t["fee"], t["net"], t["source"]) for t in listed] == [
        ("refund", -400, 0, -400, refund["id"]),
        ("charge", 1000, 59, 941, payment_id),
    ]
    assert (listed[0]["object"], listed[0]["description"]) == ("balance_transaction", None)
    assert [t["livemode"] for t in listed] == [False, False]  # SPEC §2: objects carry it
    assert test_client.get(f"/v1/balance_transactions/{listed[1]['id']}").json() == listed[1]
    by_source = test_client.get(f"/v1/balance_transactions?source={refund['id']}").json()
    assert [t["id"] for t in by_source["data"]] == [listed[0]["id"]]
    call_command("ledger_check", stdout=io.StringIO())


@pytest.mark.parametrize("source", ["pay_nope", "re_nope", "somebody's"])
def test_a_source_filter_naming_nothing_of_the_callers_is_a_400(test_client, source):
    response = test_client.get("/v1/balance_transactions", {"source": source})

    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        "resource_missing",
        "source",
    )


def test_a_new_accounts_balance_is_zero(test_client):
    balance = test_client.get("/v1/balance").json()

    assert balance["available"] == balance["pending"] == [{"amount": 0, "currency": "usd"}]
    assert (balance["object"], balance["livemode"]) == ("balance", False)


def test_jpy_amounts_are_whole_yen(pay, test_client, merchant):
    body = pay(amount=1000, currency="jpy").json()

    fee = fee_for(merchant_id=merchant.id, amount_minor=1000, currency="jpy")
    assert body["amount_received"] == 1000
    pending = test_client.get("/v1/balance").json()["pending"]
    assert pending == [{"amount": 1000 - fee, "currency": "jpy"}]


def test_unbalanced_postings_are_refused(merchant):
    with pytest.raises(UnbalancedTransaction), transaction.atomic():
        ledger_post(
            merchant_id=merchant.id,
            livemode=False,
            type="adjustment",
            currency="usd",
            source_id="x",
            entries=[(Account.PROVIDER_CLEARING, 10), (Account.FEE_REVENUE, -9)],
        )

    assert not LedgerTransaction.objects.exists()


def test_posting_outside_a_transaction_is_refused(merchant):
    with pytest.raises(RuntimeError):
        ledger_post(
            merchant_id=merchant.id,
            livemode=False,
            type="adjustment",
            currency="usd",
            source_id="x",
            entries=[(Account.PROVIDER_CLEARING, 10), (Account.FEE_REVENUE, -10)],
        )


def test_ledger_check_fails_on_an_unbalanced_transaction(pay, merchant):
    payment_id = pay().json()["id"]
    call_command("ledger_check", stdout=io.StringIO())
    txn = LedgerTransaction.objects.get(source_id=payment_id)
    LedgerEntry.objects.create(
        transaction=txn,
        account=Account.FEE_REVENUE,
        merchant=merchant,
        livemode=False,
        currency="usd",
        amount_minor=-1,
    )
    errors = io.StringIO()

    with pytest.raises(CommandError):
        call_command("ledger_check", stdout=io.StringIO(), stderr=errors)

    assert txn.id in errors.getvalue()
