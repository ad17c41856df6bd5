"""Hostile and edge-case input to the payments API (TESTING T18, T24, T26).

Pass criteria: only well-formed requests are accepted; everything else is a JSON 4xx
with a stable `code` (and `param` where a field is to blame), never a 500 or an HTML
page, and a refused request writes nothing at all.
"""

import json

import pytest
from django.utils import timezone

from payments.ledger import LedgerEntry, merchant_balances, unbalanced_transactions
from payments.models import Payment
from payments.tests.conftest import FUTURE_YEAR, assert_json_error, card_data, row_counts
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db

MAX_AMOUNT = 99_999_999


def payment_body(**overrides) -> dict:
    body = {"amount": 1000, "currency": "usd", "payment_method_data": card_data()}
    body.update(overrides)
    return body


def payment_row(payment_id: str) -> dict:
    return Payment.objects.filter(pk=payment_id).values().get()


def post_raw(client, path: str, raw: str | bytes, content_type: str = "application/json"):
    return client.post(path, data=raw, content_type=content_type)


# --- amounts and currencies (T24) -------------------------------------------------------

INVALID_AMOUNTS = [
    pytest.param(0, "amount_too_small", id="zero"),
    pytest.param(-1, "amount_too_small", id="negative"),
    pytest.param(MAX_AMOUNT + 1, "amount_too_large", id="max+1"),
    pytest.param(2**31, "amount_too_large", id="2^31"),
    pytest.param(2**53 + 1, "amount_too_large", id="2^53+1"),
    pytest.param(2**63, "amount_too_large", id="2^63"),
    pytest.param(10**30, "amount_too_large", id="10^30"),
    pytest.param(1.5, "parameter_invalid_integer", id="float"),
    pytest.param(100.0, "parameter_invalid_integer", id="integral-float"),
    pytest.param(1e308, "parameter_invalid_integer", id="1e308"),
    pytest.param("100", "parameter_invalid_integer", id="string"),
    pytest.param("1e3", "parameter_invalid_integer", id="exponent-string"),
    pytest.param(True, "parameter_invalid_integer", id="true"),
    pytest.param(None, "parameter_missing", id="null"),
    pytest.param([100], "parameter_invalid_integer", id="list"),
    pytest.param({"value": 100}, "parameter_invalid_integer", id="object"),
]


@pytest.mark.parametrize("amount, code", INVALID_AMOUNTS)
def test_invalid_amounts_are_refused_and_write_nothing(pay, amount, code):
    # given
    before = row_counts()

    # when
    response = pay(amount=amount)

    # then
    error = assert_json_error(response, 400, "invalid_request_error", code)
    assert error["param"] == "amount"
    assert row_counts() == before


@pytest.mark.parametrize("field", ["metadata", "simulate", "description", "customer"])
def test_null_for_an_optional_parameter_says_so(pay, field):
    error = assert_json_error(pay(**{field: None}), 400, "invalid_request_error")

    assert error["param"] == field
    assert error["message"] == (
        f"Invalid {field}: null is not accepted; leave the parameter out instead."
    )


@pytest.mark.parametrize("field", ["confirm", "off_session"])
@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_booleans_are_json_true_or_false_only(pay, field, value):
    # given
    before = row_counts()

    # when
    response = pay(**{field: value})

    # then
    error = assert_json_error(response, 400, "invalid_request_error")
    assert error["param"] == field
    assert row_counts() == before


def test_off_session_needs_confirm(pay):
    # given
    before = row_counts()

    # when
    response = pay(confirm=False, off_session=True)

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid")
    assert error["param"] == "off_session"
    assert row_counts() == before


@pytest.mark.parametrize("raw_amount", ["NaN", "Infinity", "-Infinity", "1e400", "01", "0x10"])
def test_non_json_number_literals_are_parse_errors(test_client, raw_amount):
    # given
    raw = f'{{"amount": {raw_amount}, "currency": "usd"}}'
    before = row_counts()

    # when
    response = post_raw(test_client, "/v1/payments", raw)

    # then
    if raw_amount == "1e400":  # valid JSON: a float (inf in Python), not an integer
        error = assert_json_error(response, 400, "invalid_request_error")
        assert error["param"] == "amount"
    else:
        assert_json_error(response, 400, "invalid_request_error", "parse_error")
    assert row_counts() == before


@pytest.mark.parametrize("amount", [1, 2, MAX_AMOUNT])
def test_amounts_within_bounds_are_charged_exactly(pay, amount):
    # when
    response = pay(amount=amount)

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["amount"], body["amount_received"], body["status"]) == (
        amount,
        amount,
        "captured",
    )
    assert Payment.objects.get(pk=body["id"]).amount_minor == amount


INVALID_CURRENCIES = [
    pytest.param("XXX", id="no-currency-code"),
    pytest.param("US", id="two-letters"),
    pytest.param("USDD", id="four-letters"),
    pytest.param("ÜSD", id="non-ascii"),
    pytest.param("", id="empty"),
    pytest.param("usd\u0000", id="nul"),
    pytest.param(" usd", id="padded"),
    pytest.param(840, id="numeric-code"),
    pytest.param(None, id="null"),
    pytest.param(["usd"], id="list"),
]


@pytest.mark.parametrize("currency", INVALID_CURRENCIES)
def test_invalid_currencies_are_refused_and_write_nothing(pay, currency):
    # given
    before = row_counts()

    # when
    response = pay(currency=currency)

    # then
    error = assert_json_error(response, 400, "invalid_request_error")
    assert error["param"] == "currency"
    assert error["code"] in ("invalid_currency", "parameter_missing")
    assert row_counts() == before


@pytest.mark.parametrize("currency", ["usd", "USD", "Usd"])
def test_currency_codes_are_case_insensitive_and_answered_in_lower_case(pay, currency):
    # when
    response = pay(currency=currency)

    # then
    assert response.status_code == 200, response.content
    assert response.json()["currency"] == "usd"


def test_only_valid_amount_and_currency_pairs_are_accepted(pay, settings):
    # given: every amount against every currency, valid ones included, faster than the
    # per-key rate limit would allow (the limiter is not under test here)
    settings.API_RATE_LIMIT = 0
    amounts = [0, -1, 1, 2**31, 2**53 + 1, 2**63, 10**30, 1.5, "100", "1e3", True, None, 1e308]
    currencies = ["usd", "USD", "XXX", "US", "ÜSD", "", "usd\u0000", 840]
    accepted = []

    for amount in amounts:
        for currency in currencies:
            before = Payment.objects.count()

            # when
            response = pay(amount=amount, currency=currency)

            # then
            valid = type(amount) is int and 1 <= amount <= MAX_AMOUNT and currency in ("usd", "USD")
            if valid:
                assert response.status_code == 200, (amount, currency, response.content)
                accepted.append((amount, currency))
            else:
                error = assert_json_error(response, 400, "invalid_request_error")
                assert error["param"] in ("amount", "currency")
                assert Payment.objects.count() == before, (amount, currency)

    assert accepted == [(1, "usd"), (1, "USD")]


@pytest.mark.parametrize("currency", ["jpy", "JPY", "kwd", "usd"])
def test_amounts_are_minor_units_of_their_currency_end_to_end(pay, merchant, currency):
    # given: the default fee, 2.9 % + 30 minor units, computed here independently
    fee = 29 + 30

    # when
    response = pay(amount=1000, currency=currency)

    # then: JPY 1000 is ¥1000 (exponent 0), KWD 1000 is 1.000 KWD; never rescaled
    assert response.status_code == 200, response.content
    body = response.json()
    code = currency.lower()
    assert (body["amount"], body["amount_received"], body["currency"]) == (1000, 1000, code)
    payment = Payment.objects.get(pk=body["id"])
    assert (payment.amount_minor, payment.currency, payment.fee_minor) == (1000, code, fee)
    charge = SimulatedCharge.objects.get(reference=payment.provider_reference)
    assert (charge.amount_minor, charge.amount_captured_minor, charge.currency) == (
        1000,
        1000,
        code,
    )
    entries = sorted(
        LedgerEntry.objects.filter(transaction__payment=payment).values_list(
            "account", "currency", "amount_minor"
        )
    )
    assert entries == [
        ("fee_revenue", code, -fee),
        ("merchant_pending", code, -(1000 - fee)),
        ("provider_clearing", code, 1000),
    ]
    assert merchant_balances(merchant_id=merchant.id, livemode=False) == {
        "available": {},
        "pending": {code: 1000 - fee},
    }
    assert list(unbalanced_transactions()) == []


def test_a_refund_cannot_name_another_currency(pay, test_client):
    # given
    payment_id = pay(amount=1000, currency="jpy").json()["id"]
    before = row_counts()

    # when
    response = test_client.post(
        "/v1/refunds", {"payment": payment_id, "amount": 500, "currency": "usd"}, format="json"
    )

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == "currency"
    assert row_counts() == before


# --- hostile bodies (T26) ---------------------------------------------------------------

NESTED_10_000 = "[" * 10_000 + "]" * 10_000
NESTED_OBJECT_10_000 = '{"a":' * 10_000 + "1" + "}" * 10_000


@pytest.mark.parametrize(
    "raw, status, code",
    [
        pytest.param('{"amount": 1000, "currency": "usd"', 400, "parse_error", id="truncated"),
        pytest.param('{"amount": 1000,, }', 400, "parse_error", id="malformed"),
        pytest.param("not json", 400, "parse_error", id="not-json"),
        pytest.param("", 400, None, id="empty-body"),
        pytest.param(b"\xff\xfe\x00", 400, "parse_error", id="invalid-utf8"),
        pytest.param(b'{"description": "\xc3\x28"}', 400, "parse_error", id="invalid-utf8-str"),
        pytest.param('{"amount": 1000} {"amount": 2}', 400, "parse_error", id="two-documents"),
        pytest.param(NESTED_10_000, 400, "parse_error", id="array-nested-10000"),
        pytest.param(NESTED_OBJECT_10_000, 400, "parse_error", id="object-nested-10000"),
        pytest.param("[]", 400, "parameter_invalid", id="array-body"),
        pytest.param("[1, 2, 3]", 400, "parameter_invalid", id="array-of-numbers"),
        pytest.param('"a string"', 400, "parameter_invalid", id="string-body"),
        pytest.param("null", 400, "parameter_invalid", id="null-body"),
        pytest.param("1000", 400, "parameter_invalid", id="number-body"),
        pytest.param('{"\\udc00x": 1}', 400, "parameter_unknown", id="surrogate-field-name"),
        pytest.param('{"a\\u0000": 1}', 400, "parameter_unknown", id="nul-field-name"),
    ],
)
def test_malformed_bodies_are_json_4xx_and_write_nothing(test_client, raw, status, code):
    # given
    before = row_counts()

    # when
    response = post_raw(test_client, "/v1/payments", raw)

    # then
    assert_json_error(response, status, "invalid_request_error", code)
    assert row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
    ],
)
def test_bodies_that_are_not_json_get_415(test_client, content_type):
    # given
    before = row_counts()

    # when
    response = post_raw(test_client, "/v1/payments", "amount=1000&currency=usd", content_type)

    # then
    assert_json_error(response, 415, "invalid_request_error", "unsupported_media_type")
    assert row_counts() == before


def test_bodies_above_one_mebibyte_get_413(test_client):
    # given
    raw = json.dumps(payment_body(description="x" * (1024 * 1024)))
    before = row_counts()

    # when
    response = post_raw(test_client, "/v1/payments", raw)

    # then
    assert_json_error(response, 413, "invalid_request_error", "request_too_large")
    assert row_counts() == before


HOSTILE_BODIES = [
    pytest.param(NESTED_10_000, id="nested-10000"),
    pytest.param('{"amount": NaN}', id="nan"),
    pytest.param('{"amount": 10', id="truncated"),
    pytest.param("[]", id="array"),
    pytest.param('{"amount": 100, "metadata": {"k": "a\\u0000b"}}', id="nul-metadata"),
    pytest.param('{"amount": 100, "metadata": {"k": "\\ud800"}}', id="surrogate-metadata"),
    pytest.param('{"amount": 100, "reason": "\\ud800"}', id="surrogate-reason"),
    pytest.param('{"amount": 100, "status": "refunded"}', id="unknown-field"),
    pytest.param('{"amount": 1e308}', id="float-amount"),
    pytest.param('{"\\ud800": 1}', id="surrogate-unknown-field"),
]


@pytest.mark.parametrize("raw", HOSTILE_BODIES)
@pytest.mark.parametrize("action", ["capture", "cancel", "confirm", "refund", "refunds"])
def test_hostile_bodies_on_payment_actions_are_json_4xx_and_change_nothing(
    pay, test_client, action, raw
):
    # given: an authorized payment for capture/cancel/confirm, a captured one to refund
    manual = action in ("capture", "cancel", "confirm")
    payment_id = pay(capture_method="manual" if manual else "automatic").json()["id"]
    if action == "refunds":
        path = "/v1/refunds"
        raw = raw.replace("{", f'{{"payment": "{payment_id}", ', 1) if raw[0] == "{" else raw
    else:
        path = f"/v1/payments/{payment_id}/{action}"
    before_row, before = payment_row(payment_id), row_counts()

    # when
    response = post_raw(test_client, path, raw)

    # then
    assert 400 <= response.status_code < 500, response.content
    assert_json_error(response, response.status_code, "invalid_request_error")
    assert row_counts() == before
    assert payment_row(payment_id) == before_row


MEGABYTE_STRING = "x" * 1_000_000


@pytest.mark.parametrize(
    "overrides, param, code",
    [
        pytest.param(
            {"description": MEGABYTE_STRING},
            "description",
            "parameter_invalid_string",
            id="1MB-description",
        ),
        pytest.param(
            {"metadata": {"k": MEGABYTE_STRING}}, "metadata", "parameter_invalid", id="1MB-value"
        ),
        pytest.param(
            {"metadata": list(range(100_000))},
            "metadata",
            "parameter_invalid",
            id="10^5-item-array",
        ),
        pytest.param(
            {"metadata": {"k": list(range(100_000))}},
            "metadata",
            "parameter_invalid",
            id="10^5-item-array-value",
        ),
        pytest.param(
            {"metadata": {f"k{i}": "v" for i in range(20_000)}},
            "metadata",
            "parameter_invalid",
            id="20000-keys",
        ),
        pytest.param(
            {"description": "a\u0000b"},
            "description",
            "parameter_invalid",
            id="nul-description",
        ),
        pytest.param(
            {"statement_descriptor": "SHOP\u0000"},
            "statement_descriptor",
            "parameter_invalid",
            id="nul-descriptor",
        ),
        pytest.param(
            {"metadata": {"k": "a\u0000b"}},
            "metadata",
            "parameter_invalid",
            id="nul-value",
        ),
        pytest.param({"metadata": {"k\u0000": "v"}}, "metadata", "parameter_invalid", id="nul-key"),
        pytest.param(
            {"description": "a\ud800b"},
            "description",
            "parameter_invalid",
            id="surrogate-description",
        ),
        pytest.param(
            {"metadata": {"k": "\udfff"}},
            "metadata",
            "parameter_invalid",
            id="surrogate-value",
        ),
        pytest.param(
            {"metadata": {"\ud800": "v"}},
            "metadata",
            "parameter_invalid",
            id="surrogate-key",
        ),
        pytest.param(
            {"capture_method": "\ud800"},
            "capture_method",
            "parameter_invalid",
            id="surrogate-choice",
        ),
        pytest.param(
            {"simulate": "succ\u0000ess"}, "simulate", "parameter_invalid", id="nul-choice"
        ),
        pytest.param(
            {"payment_method_data": {"type": "\udfff", "card": {}}},
            "payment_method_data[type]",
            "parameter_invalid",
            id="surrogate-nested-choice",
        ),
        pytest.param(
            {"description": ["a", "b"]}, "description", "parameter_invalid", id="list-description"
        ),
        pytest.param(
            {"statement_descriptor": "<b>SHOP</b>"},
            "statement_descriptor",
            "parameter_invalid",
            id="markup-descriptor",
        ),
        pytest.param(
            {"statement_descriptor": "x" * 23},
            "statement_descriptor",
            "parameter_invalid_string",
            id="long-descriptor",
        ),
        *(
            pytest.param(
                {"statement_descriptor": value}, "statement_descriptor", "parameter_invalid", id=id
            )
            for value, id in [
                ("SHOP", "short-descriptor"),
                ("12345", "descriptor-without-a-letter"),
                ("ACME\nSHOP", "newline-descriptor"),
                ("\u202eACME SHOP", "rtl-override-descriptor"),
                ("CAFÉ LUNA", "non-latin-descriptor"),
            ]
        ),
    ],
)
def test_hostile_strings_and_collections_are_refused_with_their_param(
    test_client, overrides, param, code
):
    # given: json.dumps escapes lone surrogates as \udXXX, as a hostile client would
    raw = json.dumps(payment_body(**overrides))
    before = row_counts()

    # when
    response = post_raw(test_client, "/v1/payments", raw)

    # then
    error = assert_json_error(response, 400, "invalid_request_error", code)
    assert error["param"] == param
    assert row_counts() == before


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("Order 42 🎉🧾👩🏽‍💻", id="emoji"),
        pytest.param("\u202eevil.exe\u202c order", id="rtl-override"),
        pytest.param("שלום عالم", id="rtl-scripts"),
        pytest.param("e\u0301\u200d\ufeff", id="combining-and-zero-width"),
        pytest.param("x" * 1000, id="max-length"),
    ],
)
def test_valid_unicode_descriptions_are_stored_and_returned_verbatim(pay, test_client, description):
    # when
    response = pay(description=description)

    # then
    assert response.status_code == 200, response.content
    payment_id = response.json()["id"]
    assert response.json()["description"] == description
    assert Payment.objects.get(pk=payment_id).description == description
    assert test_client.get(f"/v1/payments/{payment_id}").json()["description"] == description


# --- metadata limits (SPEC §4) ----------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({f"k{i}": "v" for i in range(51)}, id="51-keys"),
        pytest.param({"k" * 41: "v"}, id="41-char-key"),
        pytest.param({"": "v"}, id="empty-key"),
        pytest.param({"k": "v" * 501}, id="501-char-value"),
        pytest.param({"k": 1}, id="integer-value"),
        pytest.param({"k": 1.5}, id="float-value"),
        pytest.param({"k": True}, id="boolean-value"),
        pytest.param({"k": None}, id="null-value"),
        pytest.param({"k": {"nested": "v"}}, id="object-value"),
        pytest.param({"k": ["v"]}, id="list-value"),
        pytest.param("k=v", id="string"),
        pytest.param(["k", "v"], id="list"),
    ],
)
def test_metadata_outside_the_limits_is_refused(pay, metadata):
    # given
    before = row_counts()

    # when
    response = pay(metadata=metadata)

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid")
    assert error["param"] == "metadata"
    assert row_counts() == before


def test_metadata_at_the_limits_is_accepted(pay):
    # given
    metadata = {f"{i:02d}" + "k" * 38: "v" * 500 for i in range(50)}

    # when
    response = pay(metadata=metadata)

    # then
    assert response.status_code == 200, response.content
    assert response.json()["metadata"] == metadata


# --- mass assignment (T18) --------------------------------------------------------------

READ_ONLY_FIELDS = [
    ("status", "captured"),
    ("amount_refunded", 0),
    ("amount_received", 1000),
    ("amount_capturable", 1000),
    ("livemode", True),
    ("id", "pay_chosen_by_client"),
    ("created", 1),
    ("merchant", "mer_someone_else"),
    ("fee", 0),
    ("client_secret", "pay_x_secret_y"),
]


@pytest.mark.parametrize("field, value", READ_ONLY_FIELDS)
def test_payment_create_refuses_unknown_fields(pay, field, value):
    # given
    before = row_counts()

    # when
    response = pay(**{field: value})

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == field
    assert row_counts() == before


REFUND_UNKNOWN_FIELDS = [
    *(
        (route, field, value)
        for route in ("refunds", "payment-refund")
        for field, value in READ_ONLY_FIELDS
    ),
    # `payment` is a parameter of /v1/refunds, but not of /v1/payments/{id}/refund
    ("payment-refund", "payment", "pay_other"),
]


@pytest.mark.parametrize("route, field, value", REFUND_UNKNOWN_FIELDS)
def test_refund_create_refuses_unknown_fields(pay, test_client, route, field, value):
    # given
    payment_id = pay(amount=1000).json()["id"]
    before_row, before = payment_row(payment_id), row_counts()
    if route == "refunds":
        path, body = "/v1/refunds", {"payment": payment_id, "amount": 100, field: value}
    else:
        path, body = f"/v1/payments/{payment_id}/refund", {"amount": 100, field: value}

    # when
    response = test_client.post(path, body, format="json")

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == field
    assert row_counts() == before
    assert payment_row(payment_id) == before_row


# --- card data inline (SPEC §5) ---------------------------------------------------------


def card(number="4242424242424242", exp_month=12, exp_year=FUTURE_YEAR, cvc="123") -> dict:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
    }


CARD_ERRORS = [
    pytest.param(card(number="4242424242424241"), "incorrect_number", "card[number]", id="luhn"),
    pytest.param(card(number="42424242424"), "incorrect_number", "card[number]", id="11-digits"),
    pytest.param(
        card(number="42424242424242424242"), "incorrect_number", "card[number]", id="20-digits"
    ),
    pytest.param(card(number="4242abcd42424242"), "incorrect_number", "card[number]", id="letters"),
    pytest.param(card(number=""), "incorrect_number", "card[number]", id="empty-number"),
    pytest.param(
        card(number=4242424242424242), "incorrect_number", "card[number]", id="number-as-int"
    ),
    pytest.param(
        card(number="\uff14\uff12" * 8),
        "incorrect_number",
        "card[number]",
        id="fullwidth-digits",
    ),
    pytest.param(
        card(number="4242424242424242\u0000"), "incorrect_number", "card[number]", id="nul"
    ),
    pytest.param(card(exp_year=2020), "invalid_expiry_year", "card[exp_year]", id="past-year"),
    pytest.param(card(exp_year=20), "invalid_expiry_year", "card[exp_year]", id="past-2-digit"),
    pytest.param(card(exp_year=2999), "invalid_expiry_year", "card[exp_year]", id="far-future"),
    pytest.param(card(exp_month=13), "invalid_expiry_month", "card[exp_month]", id="month-13"),
    pytest.param(card(exp_month=0), "invalid_expiry_month", "card[exp_month]", id="month-0"),
    pytest.param(card(exp_month=True), "invalid_expiry_month", "card[exp_month]", id="month-true"),
    pytest.param(card(cvc="12"), "invalid_cvc", "card[cvc]", id="short-cvc"),
    pytest.param(card(cvc="1234"), "invalid_cvc", "card[cvc]", id="visa-4-digit-cvc"),
    pytest.param(card(cvc="12a"), "invalid_cvc", "card[cvc]", id="letters-cvc"),
    pytest.param(card(cvc=123), "invalid_cvc", "card[cvc]", id="integer-cvc"),
    pytest.param(
        card(number="378282246310005", cvc="123"), "invalid_cvc", "card[cvc]", id="amex-3-digit"
    ),
]


@pytest.mark.parametrize("payment_method_data, code, param", CARD_ERRORS)
def test_invalid_inline_cards_are_card_errors_and_write_nothing(
    pay, payment_method_data, code, param
):
    # given
    before = row_counts()

    # when
    response = pay(payment_method_data=payment_method_data)

    # then
    error = assert_json_error(response, 402, "card_error", code)
    assert error["param"] == param
    assert "payment" not in error
    assert row_counts() == before


def test_a_card_expired_last_month_is_an_expiry_month_error(pay, time_machine):
    # given: the middle of a year, so last month is in the same year
    time_machine.move_to("2031-06-15 12:00:00+00:00", tick=False)
    assert timezone.now().year == 2031
    before = row_counts()

    # when
    response = pay(payment_method_data=card(exp_month=5, exp_year=2031))

    # then
    error = assert_json_error(response, 402, "card_error", "invalid_expiry_month")
    assert error["param"] == "card[exp_month]"
    assert row_counts() == before


@pytest.mark.parametrize(
    "number", ["4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005"]
)
def test_separators_in_card_numbers_are_normalised(pay, number):
    # given
    cvc = "1234" if number.startswith("37") else "123"

    # when
    response = pay(payment_method_data=card(number=number, cvc=cvc))

    # then
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "captured"


# --- hostile query strings and paths ----------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/payments", "/v1/refunds"])
@pytest.mark.parametrize(
    "query, param",
    [
        pytest.param("created[gte]=999999999999", "created[gte]", id="year-33658"),
        pytest.param("created[lt]=-99999999999", "created[lt]", id="year-minus-1200"),
        pytest.param("created=999999999999", "created", id="exact-out-of-range"),
        pytest.param("created[gte]=1e3", "created[gte]", id="exponent"),
        pytest.param("limit=0", "limit", id="limit-0"),
        pytest.param("limit=101", "limit", id="limit-101"),
        pytest.param("limit=%00", None, id="nul-limit"),
        pytest.param("starting_after=pay_%00", None, id="nul-cursor"),
        pytest.param("ending_before=x%00", None, id="nul-ending-before"),
        pytest.param("customer=cus_%00", None, id="nul-customer"),
        pytest.param("payment=pay_%00", None, id="nul-payment"),
        pytest.param("status=%00", None, id="nul-status"),
    ],
)
def test_hostile_list_queries_are_json_400(test_client, path, query, param):
    # when
    response = test_client.get(f"{path}?{query}")

    # then
    error = assert_json_error(response, 400, "invalid_request_error")
    if param is not None:
        assert error["param"] == param


@pytest.mark.parametrize("action", ["retrieve", "capture", "refund-retrieve"])
@pytest.mark.parametrize("object_id", ["pay_%00", "%00", "pay_" + "x" * 5000, "%ED%A0%80"])
def test_hostile_object_ids_are_json_4xx(test_client, action, object_id):
    # given
    before = row_counts()

    # when
    if action == "retrieve":
        response = test_client.get(f"/v1/payments/{object_id}")
    elif action == "refund-retrieve":
        response = test_client.get(f"/v1/refunds/{object_id}")
    else:
        response = test_client.post(f"/v1/payments/{object_id}/capture", {}, format="json")

    # then
    assert response.status_code in (400, 404), response.content
    assert_json_error(response, response.status_code, "invalid_request_error")
    assert row_counts() == before


def test_a_nul_in_the_url_is_checked_after_authentication(api_client):
    # when
    response = api_client.get("/v1/payments/pay_%00")

    # then
    assert_json_error(response, 401, "authentication_error")
