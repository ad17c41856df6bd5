"""Migration 0007 gives the payment methods saved before it their BIN; 0012 gives the
customers saved before it the index of their e-mail; 0013 keeps one payment linked
per idempotency key; 0014 seals payments' risk_context."""

import json

import pytest
from django.db import connection

from payments.models import Customer, Payment, PaymentMethod
from payments.services.customers import customer_create
from payments.services.payment_methods import payment_method_create
from payments.tests.conftest import FUTURE_YEAR, card_data


@pytest.mark.django_db(transaction=True)
def test_cards_saved_before_get_their_bin_from_the_vault(merchant, migrate):
    # given: two cards saved, then their BINs forgotten as before the migration
    cards = [
        payment_method_create(
            merchant=merchant,
            livemode=False,
            card={"number": number, "exp_month": 12, "exp_year": FUTURE_YEAR},
        )[0]
        for number in ("4242424242424242", "5555555555554444")
    ]
    migrate([("payments", "0006_merchant_indexes_in_list_indexes")])

    # when
    migrate([("payments", "0007_payment_method_card_bin")])

    # then
    bins = dict(PaymentMethod.objects.values_list("id", "card_bin"))
    assert bins == {cards[0].id: "424242", cards[1].id: "555555"}


@pytest.mark.django_db(transaction=True)
def test_customers_saved_before_get_their_email_index(merchant, migrate, test_client):
    # given: customers saved, then their indexes forgotten as before the migration
    with_email = customer_create(merchant=merchant, livemode=False, email="Ann@example.com")
    without = customer_create(merchant=merchant, livemode=False, name="No e-mail")
    indexes = dict(Customer.objects.values_list("id", "email_index"))
    migrate([("payments", "0011_payment_method_detached_at")])

    # when
    migrate([("payments", "0012_customer_email_index")])

    # then
    assert dict(Customer.objects.values_list("id", "email_index")) == indexes
    assert indexes[with_email.id]
    assert indexes[without.id] == ""
    found = test_client.get("/v1/customers", {"email": "Ann@example.com"}).json()["data"]
    assert [customer["id"] for customer in found] == [with_email.id]


@pytest.mark.django_db(transaction=True)
def test_the_risk_context_of_payments_made_before_is_sealed_and_can_be_unsealed_back(
    merchant, migrate, pay
):
    # given: payments with and without a risk context, as the schema before kept them
    context = {"email": "jenny@example.com", "ip_address": "203.0.113.9"}
    told = pay(risk_context=context).json()["id"]
    untold = pay().json()["id"]
    migrate([("payments", "0013_one_payment_and_refund_per_idempotency_key")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, risk_context FROM payments_payment")
        before = dict(cursor.fetchall())
    unsealed = before[told]
    assert (json.loads(unsealed) if isinstance(unsealed, str) else unsealed) == context
    assert before[untold] is None

    # when
    migrate([("payments", "0014_payment_risk_context_sealed")])

    # then
    assert Payment.objects.get(pk=told).risk_context == context
    assert Payment.objects.get(pk=untold).risk_context is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, risk_context_ciphertext, risk_context FROM payments_payment")
        after = {pk: (sealed, clear) for pk, sealed, clear in cursor.fetchall()}
    assert b"jenny@example.com" not in bytes(after[told][0])
    assert after[untold][0] is None  # nothing to seal
    assert after[told][1] is None  # the clear column stays a release longer, emptied


@pytest.mark.django_db(transaction=True)
def test_payments_made_twice_under_one_key_keep_the_first_linked(merchant, migrate, test_client):
    # given: two payments under one key, as a slow request's retry could make before
    def pay(key: str) -> str:
        body = {"amount": 500, "currency": "usd", "payment_method_data": card_data()}
        return test_client.post(
            "/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        ).json()["id"]

    first, second = pay("order-1"), pay("order-2")
    migrate([("payments", "0012_customer_email_index")])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payments_payment SET idempotency_key_id ="
            " (SELECT idempotency_key_id FROM payments_payment WHERE id = %s) WHERE id = %s",
            [first, second],
        )

    # when
    migrate([("payments", "0013_one_payment_and_refund_per_idempotency_key")])

    # then
    linked = dict(Payment.objects.values_list("id", "idempotency_key__key"))
    assert linked == {first: "order-1", second: None}
