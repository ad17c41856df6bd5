"""Migration 0007 gives the payment methods saved before it their BIN."""

import pytest

from payments.models import PaymentMethod
from payments.services.payment_methods import payment_method_create
from payments.tests.conftest import FUTURE_YEAR

BEFORE = [("payments", "0006_merchant_indexes_in_list_indexes")]
AFTER = [("payments", "0007_payment_method_card_bin")]


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
    migrate(BEFORE)

    # when
    migrate(AFTER)

    # then
    bins = dict(PaymentMethod.objects.values_list("id", "card_bin"))
    assert bins == {cards[0].id: "424242", cards[1].id: "555555"}
