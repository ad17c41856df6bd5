"""Query budgets for the hot paths: no N+1, no creeping per-request cost.

Django logs transaction control (BEGIN/COMMIT, or SAVEPOINT/RELEASE inside the test's
own transaction) as queries too. Budgets count statements that touch data, and the
transactions separately: a confirmed payment is reserve, provider call, apply.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import gateway.cache
from payments.services.payment_methods import payment_method_create
from payments.services.payments import payment_create
from payments.tests.conftest import FUTURE_YEAR

pytestmark = pytest.mark.django_db

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": FUTURE_YEAR}


@pytest.fixture
def saved_card(merchant):
    payment_method, _ = payment_method_create(merchant=merchant, livemode=False, card=CARD)
    return payment_method


TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I
)
STATEMENT_BUDGET = 15
TRANSACTION_BUDGET = 3


def split_queries(queries: list[dict]) -> tuple[list[str], int]:
    """(data statements, number of transactions) among captured queries."""
    statements = [q["sql"] for q in queries if not TRANSACTION_CONTROL.match(q["sql"])]
    opened = [q for q in queries if re.match(r"^\s*(BEGIN|SAVEPOINT)\b", q["sql"], re.I)]
    return statements, len(opened)


def count_queries(call) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as context:
        result = call()
    return result, [query["sql"] for query in context.captured_queries]


def test_creating_a_captured_payment_with_a_saved_card_stays_within_budget(
    test_client, saved_card, django_assert_max_num_queries, monkeypatch
):
    # given: a merchant already taking payments (screening's per-merchant reads cached,
    # as they are in a shared cache: the embedded default's local one reads them each time)
    monkeypatch.setattr(gateway.cache, "cache_is_shared", lambda: True)
    body = {"amount": 1000, "currency": "usd", "payment_method": saved_card.id}
    assert test_client.post("/v1/payments", body, format="json").status_code == 200

    # when: each transaction adds an opening and a closing line to the log
    with django_assert_max_num_queries(STATEMENT_BUDGET + 2 * TRANSACTION_BUDGET) as captured:
        response = test_client.post("/v1/payments", body, format="json")

    # then
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "captured"
    statements, transactions = split_queries(captured.captured_queries)
    assert len(statements) <= STATEMENT_BUDGET, "\n".join(statements)
    assert transactions <= TRANSACTION_BUDGET


def test_listing_payments_costs_the_same_for_10_and_100(test_client, merchant, saved_card):
    # given: payments in several states, some with a customer
    for i in range(100):
        payment_create(
            merchant=merchant,
            livemode=False,
            amount_minor=100 + i,
            currency="usd",
            capture_method="manual" if i % 3 else "automatic",
            confirm=i % 5 != 0,
            payment_method_id=saved_card.id,
        )

    # when
    small, small_queries = count_queries(lambda: test_client.get("/v1/payments?limit=10"))
    large, large_queries = count_queries(lambda: test_client.get("/v1/payments?limit=100"))

    # then
    assert len(small.json()["data"]) == 10
    assert len(large.json()["data"]) == 100
    assert len(large_queries) == len(small_queries), "\n".join(large_queries)
    assert len(small_queries) <= 3, "\n".join(small_queries)


def test_retrieving_a_payment_costs_a_small_constant(test_client, merchant, saved_card):
    # given
    payment = payment_create(
        merchant=merchant,
        livemode=False,
        amount_minor=1000,
        currency="usd",
        payment_method_id=saved_card.id,
    )

    # when
    response, queries = count_queries(lambda: test_client.get(f"/v1/payments/{payment.id}"))

    # then
    assert response.status_code == 200
    assert response.json()["id"] == payment.id
    assert len(queries) <= 2, "\n".join(queries)
