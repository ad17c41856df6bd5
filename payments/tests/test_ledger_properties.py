"""Ledger invariants under random sequences of payment operations (TESTING T22).

A Hypothesis state machine creates payments for two merchants in USD, JPY and KWD
(automatic or manual capture, valid and invalid amounts, succeeding and declined
cards), captures, cancels and refunds them, through the HTTP API or the services,
and keeps its own model of what each payment should be. After every step:

- every ledger transaction, and so every currency, sums to zero;
- every payment has 0 <= amount_refunded <= amount_received <= amount, and matches
  the model;
- each merchant's balance from `merchant_balances` equals minus its merchant-account
  entries, the captures minus fees minus refunds of its payments rows, and the same
  computed from the model with fees worked out here independently;
- a step that was refused changed no row at all.

Examples per run: HYPOTHESIS_LEDGER_EXAMPLES (default modest, for CI; raise it for
nightly runs), steps per example: HYPOTHESIS_LEDGER_STEPS.
"""

import itertools
import os
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Sum
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from gateway.api.errors import ApiError
from gateway.events import Event
from merchants.models import FeeRule
from merchants.services import merchant_create
from payments.errors import PaymentDeclined
from payments.ledger import (
    MERCHANT_ACCOUNTS,
    Account,
    LedgerEntry,
    LedgerTransaction,
    merchant_balances,
    unbalanced_transactions,
)
from payments.models import Payment, PaymentMethod, ProviderOperation, Refund
from payments.services.payments import payment_cancel, payment_capture, payment_create
from payments.services.refunds import refund_create
from payments.tests.conftest import card_data
from simulator.models import SimulatedCharge, SimulatedRequest

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_LEDGER_EXAMPLES", "20"))
STEPS = int(os.environ.get("HYPOTHESIS_LEDGER_STEPS", "30"))

MAX_AMOUNT = 99_999_999
SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
INVALID_AMOUNTS = [0, -5, 10**9, 1.5, "100", True, None]

# (percent_bps, fixed_minor) by currency for the second merchant; "" is its default.
# The first merchant has no rules: 290 bps + 30.
DEFAULT_FEE = (290, 30)
SECOND_MERCHANT_FEES = {"": (150, 10), "jpy": (400, 0)}

_merchant_numbers = itertools.count()


def expected_fee(amount: int, currency: str, rules: dict) -> int:
    """Worked out here, not by payments.fees: basis points rounded half up, plus fixed."""
    bps, fixed = rules.get(currency) or rules.get("") or DEFAULT_FEE
    return min((amount * bps + 5_000) // 10_000 + fixed, amount)


@dataclass
class Expected:
    """What the model says a payment is."""

    merchant: int
    currency: str
    amount: int
    status: str
    received: int = 0
    refunded: int = 0
    fee: int = 0


def amounts():
    """Mostly plausible amounts (one in five is invalid)."""
    valid = st.integers(1, 6_000)
    return st.one_of(valid, valid, valid, valid, st.sampled_from(INVALID_AMOUNTS))


def partial_amounts():
    """For capture and refund: none (everything left), small parts, anything, invalid."""
    return st.one_of(
        st.none(),
        st.integers(1, 60),
        st.integers(1, 60),
        st.integers(1, 6_000),
        st.sampled_from(INVALID_AMOUNTS),
    )


def is_valid_amount(amount) -> bool:
    return type(amount) is int and 1 <= amount <= MAX_AMOUNT


def payment_row(payment_id: str) -> dict:
    return Payment.objects.filter(pk=payment_id).values().get()


class PaymentLedgerMachine(RuleBasedStateMachine):
    payments = Bundle("payments")

    def __init__(self):
        super().__init__()
        # Fresh merchants for every example: earlier examples' rows stay in the
        # database, and every check below is scoped to these merchants.
        self.merchants = []
        self.clients = []
        self.fee_rules = []
        for index in range(2):
            number = next(_merchant_numbers)
            merchant, keys = merchant_create(
                name=f"Ledger {number}", email=f"ledger{number}@shop.test", actor="test"
            )
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret'].plaintext}")
            rules = {}
            if index == 1:
                for currency, (bps, fixed) in SECOND_MERCHANT_FEES.items():
                    FeeRule.objects.create(
                        merchant=merchant, currency=currency, percent_bps=bps, fixed_minor=fixed
                    )
                rules = dict(SECOND_MERCHANT_FEES)
            self.merchants.append(merchant)
            self.clients.append(client)
            self.fee_rules.append(rules)
        self.expected: dict[str, Expected] = {}

    # --- helpers --------------------------------------------------------------------

    @property
    def merchant_ids(self) -> list[str]:
        return [merchant.id for merchant in self.merchants]

    def snapshot(self, payment_id: str | None = None) -> tuple:
        """Rows of these merchants by table, the simulator's newest rows, one payment.

        Scoped rather than global, so long nightly runs do not slow down as the
        database fills with earlier examples.
        """
        ids = self.merchant_ids
        counts = {
            model.__name__: model.objects.filter(merchant_id__in=ids).count()
            for model in (Payment, PaymentMethod, Refund, LedgerTransaction, LedgerEntry, Event)
        }
        counts["ProviderOperation"] = ProviderOperation.objects.filter(
            payment__merchant_id__in=ids
        ).count()
        for model in (SimulatedCharge, SimulatedRequest):
            counts[model.__name__] = model.objects.aggregate(newest=Max("pk"))["newest"]
        return counts, payment_row(payment_id) if payment_id else None

    def assert_refused(self, before: tuple, payment_id: str | None, outcome, code: str):
        status, error = outcome
        event(f"refused: {error.get('code')}")
        assert status == 400, outcome
        assert error["type"] == "invalid_request_error"
        assert error["code"] == code, outcome
        assert self.snapshot(payment_id) == before

    def post(self, merchant: int, path: str, body: dict) -> tuple[int, dict]:
        response = self.clients[merchant].post(path, body, format="json")
        assert response["Content-Type"] == "application/json"
        data = response.json()
        return response.status_code, data.get("error", data)

    @staticmethod
    def call_service(call) -> tuple[int, dict]:
        """A service call as (status, body-or-error), like the API would answer it."""
        try:
            obj = call()
        except PaymentDeclined as exc:
            return exc.status_code, {**exc.body()["error"], "payment": exc.payment.id}
        except ApiError as exc:
            return exc.status_code, exc.body()["error"]
        return 200, {"id": obj.id, "status": obj.status}

    # --- rules ----------------------------------------------------------------------

    @rule(
        target=payments,
        merchant=st.integers(0, 1),
        currency=st.sampled_from(["usd", "jpy", "kwd"]),
        amount=amounts(),
        manual=st.booleans(),
        declined=st.sampled_from([False] * 5 + [True]),
        via=st.sampled_from(["api", "service"]),
    )
    def create(self, merchant, currency, amount, manual, declined, via):
        card = DECLINED_CARD if declined else SUCCEEDING_CARD
        capture_method = "manual" if manual else "automatic"
        valid = is_valid_amount(amount)
        before = self.snapshot()
        if via == "api" or not valid:  # services take input the API has validated
            outcome = self.post(
                merchant,
                "/v1/payments",
                {
                    "amount": amount,
                    "currency": currency,
                    "capture_method": capture_method,
                    "payment_method_data": card_data(card),
                },
            )
        else:
            outcome = self.call_service(
                lambda: payment_create(
                    merchant=self.merchants[merchant],
                    livemode=False,
                    amount_minor=amount,
                    currency=currency,
                    capture_method=capture_method,
                    payment_method_data=card_data(card),
                )
            )
        status, body = outcome
        if not valid:
            self.assert_refused(before, None, outcome, body.get("code"))
            assert body.get("param") == "amount"
            return multiple()
        if declined:
            assert (status, body["code"], body["decline_code"]) == (
                402,
                "card_declined",
                "generic_decline",
            )
            payment_id = body["payment"]
            self.expected[payment_id] = Expected(merchant, currency, amount, "failed")
            return payment_id
        assert status == 200, outcome
        payment_id = body["id"]
        expected = Expected(merchant, currency, amount, "authorized" if manual else "captured")
        if not manual:
            expected.received = amount
            expected.fee = expected_fee(amount, currency, self.fee_rules[merchant])
        assert body["status"] == expected.status
        self.expected[payment_id] = expected
        return payment_id

    @rule(payment_id=payments, amount=partial_amounts(), via=st.booleans())
    def capture(self, payment_id, amount, via):
        expected = self.expected[payment_id]
        before = self.snapshot(payment_id)
        body = {} if amount is None else {"amount": amount}
        if via or not (amount is None or is_valid_amount(amount)):
            outcome = self.post(expected.merchant, f"/v1/payments/{payment_id}/capture", body)
        else:
            outcome = self.call_service(
                lambda: payment_capture(
                    payment=Payment.objects.get(pk=payment_id), amount_minor=amount
                )
            )
        if amount is not None and not is_valid_amount(amount):
            self.assert_refused(before, payment_id, outcome, outcome[1].get("code"))
            assert outcome[1].get("param") == "amount"
            return
        if expected.status != "authorized":
            self.assert_refused(before, payment_id, outcome, "payment_unexpected_state")
            return
        amount = expected.amount if amount is None else amount
        if amount > expected.amount:
            self.assert_refused(before, payment_id, outcome, "amount_too_large")
            return
        assert outcome[0] == 200, outcome
        assert outcome[1]["status"] == "captured"
        expected.status, expected.received = "captured", amount
        expected.fee = expected_fee(amount, expected.currency, self.fee_rules[expected.merchant])

    @rule(payment_id=payments, via=st.booleans())
    def cancel(self, payment_id, via):
        expected = self.expected[payment_id]
        before = self.snapshot(payment_id)
        if via:
            outcome = self.post(expected.merchant, f"/v1/payments/{payment_id}/cancel", {})
        else:
            outcome = self.call_service(
                lambda: payment_cancel(payment=Payment.objects.get(pk=payment_id))
            )
        if expected.status != "authorized":
            self.assert_refused(before, payment_id, outcome, "payment_unexpected_state")
            return
        assert outcome[0] == 200, outcome
        assert outcome[1]["status"] == "canceled"
        expected.status = "canceled"

    @rule(
        payment_id=payments,
        amount=partial_amounts(),
        via=st.sampled_from(["refunds", "payment-refund", "service"]),
    )
    def refund(self, payment_id, amount, via):
        expected = self.expected[payment_id]
        before = self.snapshot(payment_id)
        body = {} if amount is None else {"amount": amount}
        if via == "refunds":
            outcome = self.post(expected.merchant, "/v1/refunds", {"payment": payment_id, **body})
        elif via == "payment-refund" or not (amount is None or is_valid_amount(amount)):
            outcome = self.post(expected.merchant, f"/v1/payments/{payment_id}/refund", body)
        else:
            outcome = self.call_service(
                lambda: refund_create(
                    payment=Payment.objects.get(pk=payment_id), amount_minor=amount
                )
            )
        if amount is not None and not is_valid_amount(amount):
            self.assert_refused(before, payment_id, outcome, outcome[1].get("code"))
            assert outcome[1].get("param") == "amount"
            return
        if expected.status not in ("captured", "partially_refunded"):
            self.assert_refused(before, payment_id, outcome, "payment_unexpected_state")
            return
        remaining = expected.received - expected.refunded
        amount = remaining if amount is None else amount
        if amount > remaining or amount <= 0:
            self.assert_refused(before, payment_id, outcome, "amount_too_large")
            return
        assert outcome[0] == 200, outcome
        assert outcome[1]["status"] == "succeeded"
        expected.refunded += amount
        fully = expected.refunded == expected.received
        expected.status = "refunded" if fully else "partially_refunded"

    # --- invariants -----------------------------------------------------------------

    @invariant()
    def every_transaction_and_currency_sums_to_zero(self):
        assert list(unbalanced_transactions().filter(merchant_id__in=self.merchant_ids)) == []
        totals = (
            LedgerEntry.objects.filter(merchant_id__in=self.merchant_ids)
            .values("currency")
            .annotate(total=Sum("amount_minor"))
        )
        assert {row["currency"]: row["total"] for row in totals if row["total"]} == {}

    @invariant()
    def payments_are_consistent_and_as_expected(self):
        rows = Payment.objects.filter(merchant_id__in=self.merchant_ids).values(
            "id",
            "status",
            "amount_minor",
            "amount_received_minor",
            "amount_refunded_minor",
            "fee_minor",
            "currency",
        )
        assert len(rows) == len(self.expected)
        for row in rows:
            assert 0 <= row["amount_refunded_minor"] <= row["amount_received_minor"]
            assert row["amount_received_minor"] <= row["amount_minor"]
            expected = self.expected[row["id"]]
            assert (
                row["status"],
                row["amount_minor"],
                row["currency"],
                row["amount_received_minor"],
                row["amount_refunded_minor"],
                row["fee_minor"],
            ) == (
                expected.status,
                expected.amount,
                expected.currency,
                expected.received,
                expected.refunded,
                expected.fee,
            ), row["id"]

    @invariant()
    def balances_agree_with_entries_payments_and_model(self):
        for index, merchant in enumerate(self.merchants):
            balances = merchant_balances(merchant_id=merchant.id, livemode=False)
            from_ledger = {**balances["pending"]}
            for currency, amount in balances["available"].items():
                from_ledger[currency] = from_ledger.get(currency, 0) + amount

            entries = defaultdict(int)
            accounts = defaultdict(int)
            for row in (
                LedgerEntry.objects.filter(merchant=merchant)
                .values("account", "currency")
                .annotate(total=Sum("amount_minor"))
            ):
                accounts[row["account"], row["currency"]] += row["total"]
                if row["account"] in MERCHANT_ACCOUNTS:
                    entries[row["currency"]] -= row["total"]

            from_rows = defaultdict(int)
            for row in Payment.objects.filter(merchant=merchant).values(
                "currency", "amount_received_minor", "fee_minor", "amount_refunded_minor"
            ):
                from_rows[row["currency"]] += (
                    row["amount_received_minor"] - row["fee_minor"] - row["amount_refunded_minor"]
                )

            from_model = defaultdict(int)
            clearing = defaultdict(int)
            fees = defaultdict(int)
            for expected in self.expected.values():
                if expected.merchant == index:
                    from_model[expected.currency] += (
                        expected.received - expected.fee - expected.refunded
                    )
                    clearing[expected.currency] += expected.received - expected.refunded
                    fees[expected.currency] += expected.fee

            def nonzero(amounts: dict) -> dict:
                return {currency: amount for currency, amount in amounts.items() if amount}

            assert nonzero(from_ledger) == nonzero(entries)
            assert nonzero(from_ledger) == nonzero(from_rows)
            assert nonzero(from_ledger) == nonzero(from_model)
            # Money the provider owes us never goes negative; fees are revenue (credits).
            for (account, currency), total in accounts.items():
                if account == Account.PROVIDER_CLEARING:
                    assert total == clearing[currency] >= 0
                if account == Account.FEE_REVENUE:
                    assert -total == fees[currency] >= 0


def test_ledger_invariants_hold_for_random_payment_operations(settings):
    # given: the limiter would refuse the machine's bursts; it is not under test here
    settings.API_RATE_LIMIT = 0

    # when / then: every invariant after every step of every example
    run_state_machine_as_test(
        PaymentLedgerMachine,
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- append-only ledger (PostgreSQL trigger) --------------------------------------------


def _update_entry(entry: LedgerEntry) -> None:
    LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=entry.amount_minor + 1)


def _delete_entry(entry: LedgerEntry) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM payments_ledgerentry WHERE id = %s", [entry.pk])


def _update_transaction(entry: LedgerEntry) -> None:
    LedgerTransaction.objects.filter(pk=entry.transaction_id).update(description="edited")


def _delete_transaction(entry: LedgerEntry) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM payments_ledgertransaction WHERE id = %s", [entry.transaction_id]
        )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "tamper", [_update_entry, _delete_entry, _update_transaction, _delete_transaction]
)
def test_ledger_rows_cannot_be_updated_or_deleted(pay, tamper):
    # given
    payment_id = pay(amount=1000).json()["id"]
    entry = LedgerEntry.objects.filter(transaction__payment_id=payment_id).first()
    entries_before = list(LedgerEntry.objects.order_by("pk").values())
    transactions_before = list(LedgerTransaction.objects.order_by("pk").values())

    # when
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        tamper(entry)

    # then
    assert list(LedgerEntry.objects.order_by("pk").values()) == entries_before
    assert list(LedgerTransaction.objects.order_by("pk").values()) == transactions_before
