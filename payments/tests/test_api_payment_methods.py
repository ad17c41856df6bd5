import re
from datetime import UTC, datetime

import pytest
import time_machine

from gateway.events import Event
from payments import vault
from payments.models import Customer, PaymentMethod
from payments.services.payment_methods import billing_details_normalize
from payments.tests.conftest import row_counts
from payments.tests.factories import CustomerFactory, PaymentMethodFactory, future_year
from payments.tests.helpers import card_body, with_check_digit

pytestmark = pytest.mark.django_db

PAYMENT_METHOD_KEYS = {
    "id",
    "object",
    "type",
    "card",
    "billing_details",
    "customer",
    "metadata",
    "livemode",
    "created",
}
EMPTY_BILLING = {
    "address": {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    },
    "email": None,
    "name": None,
    "phone": None,
}
# Card checks run on this day, so "last month" and "last year" are stable.
TODAY = datetime(2026, 6, 15, 12, tzinfo=UTC)


def _card_error(code: str, param: str, message: str) -> dict:
    return {"error": {"type": "card_error", "code": code, "message": message, "param": param}}


NUMBER = _card_error("incorrect_number", "card[number]", "Your card number is incorrect.")
MONTH = _card_error(
    "invalid_expiry_month", "card[exp_month]", "Your card's expiration month is invalid."
)
YEAR = _card_error(
    "invalid_expiry_year", "card[exp_year]", "Your card's expiration year is invalid."
)
CVC = _card_error("invalid_cvc", "card[cvc]", "Your card's security code is invalid.")


def test_tokenize_a_card_returns_the_stripe_shape(test_client, merchant):
    # when
    response = test_client.post(
        "/v1/payment_methods",
        {
            **card_body("4242424242424242", cvc="737"),
            "billing_details": {
                "name": "Jenny Rosen",
                "email": "jenny@example.com",
                "address": {"country": "us", "postal_code": "94107", "line1": "1 Main St"},
            },
            "metadata": {"order": "42"},
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == PAYMENT_METHOD_KEYS
    assert body["id"].startswith("pm_")
    assert isinstance(body["created"], int)
    payment_method = PaymentMethod.objects.get(pk=body["id"])
    assert {k: v for k, v in body.items() if k not in ("id", "created")} == {
        "object": "payment_method",
        "type": "card",
        "card": {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": future_year(),
            "fingerprint": payment_method.card_fingerprint,
            "country": "US",
            "funding": "credit",
        },
        "billing_details": {
            "address": {
                **EMPTY_BILLING["address"],
                "country": "US",
                "postal_code": "94107",
                "line1": "1 Main St",
            },
            "email": "jenny@example.com",
            "name": "Jenny Rosen",
            "phone": None,
        },
        "customer": None,
        "metadata": {"order": "42"},
        "livemode": False,
    }
    assert b"4242424242424242" not in response.content
    # the CVC as a value anywhere (bare "737" can occur inside a random id or fingerprint)
    assert not re.search(rb'[":]\s*"?737"?\s*[,}]', response.content)
    assert (payment_method.merchant_id, payment_method.livemode) == (merchant.id, False)
    assert vault.card_number(payment_method) == "4242424242424242"
    assert not Event.objects.exists()  # Stripe has no payment_method.created


def test_tokenize_without_billing_details_renders_the_full_empty_shape(test_client):
    response = test_client.post("/v1/payment_methods", card_body(), format="json")

    assert response.status_code == 200
    assert response.json()["billing_details"] == EMPTY_BILLING


def test_amex_takes_a_four_digit_cvc(test_client):
    response = test_client.post(
        "/v1/payment_methods", card_body("378282246310005", cvc="1234"), format="json"
    )

    assert response.status_code == 200
    assert response.json()["card"]["brand"] == "amex"
    assert response.json()["card"]["last4"] == "0005"


def test_a_two_digit_expiry_year_means_20yy(test_client):
    response = test_client.post(
        "/v1/payment_methods", card_body(exp_year=future_year() % 100), format="json"
    )

    assert response.status_code == 200
    assert response.json()["card"]["exp_year"] == future_year()


def test_the_current_month_is_still_valid(test_client):
    with time_machine.travel(TODAY, tick=False):
        response = test_client.post(
            "/v1/payment_methods", card_body(exp_month=6, exp_year=2026), format="json"
        )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "card, expected",
    [
        ({"number": "4242424242424241"}, NUMBER),  # fails Luhn
        ({"number": "42424242424"}, NUMBER),  # 11 digits
        ({"number": "42424242424242424242"}, NUMBER),  # 20 digits
        ({"number": "4242abcd42424242"}, NUMBER),
        ({"number": "\uff14\uff12" * 8}, NUMBER),  # fullwidth digits
        ({"number": 4242424242424242}, NUMBER),  # not a string
        ({"number": ""}, NUMBER),
        ({"number": "4242\t4242\t4242\t4242"}, NUMBER),  # only spaces and dashes are ignored
        ({"number": with_check_digit("999999999999999")}, NUMBER),  # no such brand
        ({"number": with_check_digit("55555555555555")}, NUMBER),  # Mastercard has 16
        ({"exp_month": 13}, MONTH),
        ({"exp_month": 0}, MONTH),
        ({"exp_month": "x"}, MONTH),
        ({"exp_month": True}, MONTH),
        ({"exp_month": 5, "exp_year": 2026}, MONTH),  # last month
        ({"exp_year": 2025}, YEAR),  # last year
        ({"exp_year": 25}, YEAR),
        ({"exp_year": 2077}, YEAR),  # more than 50 years ahead
        ({"exp_year": "20x7"}, YEAR),
        ({"cvc": "1234"}, CVC),  # Visa has 3
        ({"cvc": "12"}, CVC),
        ({"cvc": "12a"}, CVC),
        ({"cvc": 123}, CVC),  # not a string
        ({"number": "378282246310005", "cvc": "123"}, CVC),  # Amex has 4
        ({"number": "378282246310005", "cvc": "12345"}, CVC),
    ],
)
def test_invalid_card_data_is_a_402_card_error_and_writes_nothing(test_client, card, expected):
    # given
    body = card_body(**{"cvc": "123", **card})

    # when
    with time_machine.travel(TODAY, tick=False):
        response = test_client.post("/v1/payment_methods", body, format="json")

    # then
    assert response.status_code == 402
    assert response.json() == expected
    assert not PaymentMethod.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "number",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242 4242-4242 4242",
        " 4242424242424242 ",
    ],
)
def test_spaces_and_dashes_in_the_number_are_ignored(test_client, number):
    # given
    plain = test_client.post("/v1/payment_methods", card_body(), format="json").json()

    # when
    response = test_client.post("/v1/payment_methods", card_body(number), format="json")

    # then
    assert response.status_code == 200
    assert response.json()["card"]["last4"] == "4242"
    assert response.json()["card"]["fingerprint"] == plain["card"]["fingerprint"]
    assert vault.card_number(PaymentMethod.objects.get(pk=response.json()["id"])) == (
        "4242424242424242"
    )


@pytest.mark.parametrize(
    "body, param, code",
    [
        ({**card_body(), "status": "active"}, "status", "parameter_unknown"),
        ({**card_body(), "livemode": True}, "livemode", "parameter_unknown"),
        ({**card_body(), "id": "pm_mine"}, "id", "parameter_unknown"),
        ({**card_body(), "created": 1}, "created", "parameter_unknown"),
        ({**card_body(), "merchant": "mer_x"}, "merchant", "parameter_unknown"),
        (
            {**card_body(), "card": {**card_body()["card"], "fingerprint": "x"}},
            "card[fingerprint]",
            "parameter_unknown",
        ),
        (
            {**card_body(), "billing_details": {"address": {"planet": "Mars"}}},
            "billing_details[address][planet]",
            "parameter_unknown",
        ),
        ({**card_body(), "type": "sepa_debit"}, "type", "parameter_invalid"),
        ({"card": card_body()["card"]}, "type", "parameter_missing"),
        ({"type": "card"}, "card", "parameter_missing"),
        ({"type": "card", "card": "tok_visa"}, "card", "parameter_invalid"),
        (
            {"type": "card", "card": {"exp_month": 1, "exp_year": future_year()}},
            "card[number]",
            "parameter_missing",
        ),
        (
            {**card_body(), "billing_details": {"email": "nope"}},
            "billing_details[email]",
            "parameter_invalid",
        ),
        (
            {**card_body(), "billing_details": {"address": {"country": "USA"}}},
            "billing_details[address][country]",
            "parameter_invalid",
        ),
        (
            {**card_body(), "billing_details": {"address": {"country": "zz"}}},
            "billing_details[address][country]",
            "parameter_invalid",
        ),
        ({**card_body(), "metadata": {"k": 1}}, "metadata", "parameter_invalid"),
    ],
)
def test_tokenize_refuses_malformed_and_unknown_parameters(test_client, body, param, code):
    response = test_client.post("/v1/payment_methods", body, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert not PaymentMethod.objects.exists()


def test_non_object_body_is_refused(test_client):
    response = test_client.post("/v1/payment_methods", ["card"], format="json")

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_tokenize_and_attach_in_one_call(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)

    # when
    response = test_client.post(
        "/v1/payment_methods",
        {**card_body(), "customer": customer.id, "billing_details": {"name": "Jenny"}},
        format="json",
    )

    # then
    assert response.status_code == 200
    assert response.json()["customer"] == customer.id
    event = Event.objects.get(type="payment_method.attached")
    assert event.object_id == response.json()["id"]
    assert event.data["object"] == {**response.json(), "billing_details": EMPTY_BILLING}


def test_tokenize_with_an_unknown_customer_is_a_400_and_writes_nothing(test_client):
    response = test_client.post(
        "/v1/payment_methods", {**card_body(), "customer": "cus_missing"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such customer: 'cus_missing'",
            "param": "customer",
        }
    }
    assert not PaymentMethod.objects.exists()


def test_live_key_tokenizes_in_live_mode(live_client):
    response = live_client.post("/v1/payment_methods", card_body(), format="json")

    assert response.status_code == 200
    assert response.json()["livemode"] is True


def test_publishable_key_can_tokenize(publishable_client, merchant):
    response = publishable_client.post("/v1/payment_methods", card_body(), format="json")

    assert response.status_code == 200
    assert PaymentMethod.objects.get(pk=response.json()["id"]).merchant == merchant


def test_publishable_and_secret_keys_have_separate_idempotency_keys(
    test_client, publishable_client
):
    # given: the merchant's server tokenizes under a key a browser could guess
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-123"}
    by_secret = test_client.post("/v1/payment_methods", card_body(), format="json", **headers)

    # when: a browser sends the same request under the same key
    by_browser = publishable_client.post(
        "/v1/payment_methods", card_body(), format="json", **headers
    )

    # then: it gets an answer of its own, not the secret key's stored one, and each
    # key's retry replays its own
    assert by_browser.status_code == 200
    assert "Idempotent-Replayed" not in by_browser
    assert by_browser.json()["id"] != by_secret.json()["id"]
    secret_retry = test_client.post("/v1/payment_methods", card_body(), format="json", **headers)
    browser_retry = publishable_client.post(
        "/v1/payment_methods", card_body(), format="json", **headers
    )
    assert (secret_retry.content, browser_retry.content) == (by_secret.content, by_browser.content)
    assert secret_retry["Idempotent-Replayed"] == browser_retry["Idempotent-Replayed"] == "true"
    assert PaymentMethod.objects.count() == 2


def test_publishable_key_cannot_attach_while_tokenizing(publishable_client, merchant):
    customer = CustomerFactory(merchant=merchant)

    response = publishable_client.post(
        "/v1/payment_methods", {**card_body(), "customer": customer.id}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "secret_key_required"
    assert not PaymentMethod.objects.exists()


def test_publishable_key_gets_403_everywhere_else(publishable_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    calls = [
        ("get", f"/v1/payment_methods/{payment_method.id}", None),
        ("get", f"/v1/payment_methods?customer={customer.id}", None),
        ("post", f"/v1/payment_methods/{payment_method.id}/attach", {"customer": customer.id}),
        ("post", f"/v1/payment_methods/{payment_method.id}/detach", {}),
        ("post", "/v1/customers", {"email": "a@example.com"}),
        ("get", "/v1/customers", None),
        ("get", f"/v1/customers/{customer.id}", None),
        ("post", f"/v1/customers/{customer.id}", {"name": "x"}),
        ("get", f"/v1/customers/{customer.id}/payment_methods", None),
    ]

    for method, url, body in calls:
        # when
        response = getattr(publishable_client, method)(url, body, format="json")

        # then
        assert response.status_code == 403, url
        assert response.json()["error"]["type"] == "permission_error"
        assert response.json()["error"]["code"] == "secret_key_required"
    payment_method.refresh_from_db()
    assert payment_method.customer_id == customer.id
    assert Customer.objects.count() == 1


def test_retrieve_payment_method(test_client, merchant):
    # given
    payment_method = PaymentMethodFactory(
        merchant=merchant, billing_details={"address": {"country": "DE"}}, metadata={"a": "b"}
    )

    # when
    response = test_client.get(f"/v1/payment_methods/{payment_method.id}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAYMENT_METHOD_KEYS
    assert body["id"] == payment_method.id
    assert body["billing_details"] == billing_details_normalize({"address": {"country": "DE"}})
    assert body["metadata"] == {"a": "b"}
    assert body["created"] == int(payment_method.created_at.timestamp())


def test_retrieve_missing_payment_method_is_404(test_client):
    response = test_client.get("/v1/payment_methods/pm_missing")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such PaymentMethod: 'pm_missing'",
            "param": "id",
        }
    }


def test_list_payment_methods_of_a_customer(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    # Ids sort by creation time (to the millisecond): the API's order is the ids' order.
    mine = sorted((PaymentMethodFactory(customer=customer) for _ in range(3)), key=lambda o: o.id)
    PaymentMethodFactory(merchant=merchant)

    # when
    first = test_client.get(f"/v1/payment_methods?customer={customer.id}&limit=2").json()
    rest = test_client.get(
        f"/v1/payment_methods?customer={customer.id}&type=card&starting_after={mine[1].id}"
    ).json()

    # then
    assert first["object"] == "list"
    assert first["url"] == "/v1/payment_methods"
    assert [pm["id"] for pm in first["data"]] == [mine[2].id, mine[1].id]
    assert first["has_more"] is True
    assert set(first["data"][0]) == PAYMENT_METHOD_KEYS
    assert [pm["id"] for pm in rest["data"]] == [mine[0].id]


@pytest.mark.parametrize(
    "query, param, code",
    [
        ("", "customer", "parameter_missing"),
        ("customer=cus_missing", "customer", "resource_missing"),
        ("customer=cus_missing&type=sepa", "type", "parameter_invalid"),
        ("customer=cus_missing&colour=red", "colour", "parameter_unknown"),
    ],
)
def test_list_payment_methods_needs_a_known_customer(test_client, query, param, code):
    response = test_client.get(f"/v1/payment_methods?{query}")

    assert response.status_code == 400
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


def test_attach_a_payment_method(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(merchant=merchant, billing_details={"name": "Jenny"})

    # when
    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/attach", {"customer": customer.id}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["customer"] == customer.id
    assert body["billing_details"]["name"] == "Jenny"
    event = Event.objects.get(type="payment_method.attached")
    assert (event.object_id, event.livemode, event.merchant_id) == (
        payment_method.id,
        False,
        merchant.id,
    )
    assert event.data["object"] == {**body, "billing_details": EMPTY_BILLING}


def test_attach_again_to_the_same_customer_changes_nothing(test_client, merchant):
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)

    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/attach", {"customer": customer.id}, format="json"
    )

    assert response.status_code == 200
    assert Event.objects.filter(type="payment_method.attached").count() == 1


def test_attach_to_a_second_customer_is_refused(test_client, merchant):
    # given
    first = CustomerFactory(merchant=merchant)
    second = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=first)

    # when
    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/attach", {"customer": second.id}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_method_unexpected_state"
    payment_method.refresh_from_db()
    assert payment_method.customer_id == first.id


@pytest.mark.parametrize(
    "body, param, code",
    [
        ({}, "customer", "parameter_missing"),
        ({"customer": "cus_missing"}, "customer", "resource_missing"),
        ({"customer": "cus_x", "livemode": True}, "livemode", "parameter_unknown"),
    ],
)
def test_attach_refuses_bad_bodies(test_client, merchant, body, param, code):
    payment_method = PaymentMethodFactory(merchant=merchant)

    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/attach", body, format="json"
    )

    assert response.status_code == 400
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)
    payment_method.refresh_from_db()
    assert payment_method.customer_id is None


def test_detach_a_payment_method(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)

    # when
    response = test_client.post(f"/v1/payment_methods/{payment_method.id}/detach")

    # then
    assert response.status_code == 200
    assert response.json()["customer"] is None
    payment_method.refresh_from_db()
    assert payment_method.customer_id is None
    event = Event.objects.get(type="payment_method.detached")
    assert event.data["object"]["customer"] is None
    assert not Event.objects.filter(type="customer.updated").exists()


def test_detaching_the_default_clears_it(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    test_client.post(
        f"/v1/customers/{customer.id}", {"default_payment_method": payment_method.id}, format="json"
    )

    # when
    response = test_client.post(f"/v1/payment_methods/{payment_method.id}/detach", {}, "json")

    # then
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.default_payment_method_id is None
    assert test_client.get(f"/v1/customers/{customer.id}").json()["default_payment_method"] is None
    updates = Event.objects.filter(type="customer.updated", object_id=customer.id)
    defaults = {event.data["object"]["default_payment_method"] for event in updates}
    assert defaults == {payment_method.id, None}  # set by the update, cleared by the detach
    cleared = updates.get(data__object__default_payment_method=None)
    assert cleared.data["previous_attributes"] == {"default_payment_method": payment_method.id}


@pytest.fixture
def detached(test_client, merchant):
    """A card its customer removed, and that customer."""
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    assert test_client.post(f"/v1/payment_methods/{payment_method.id}/detach").status_code == 200
    return payment_method, customer


def _assert_detached_refusal(response) -> None:
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("payment_method_unexpected_state", "payment_method")
    assert "detached" in error["message"]


@pytest.mark.parametrize("with_customer", [False, True])
def test_a_detached_card_pays_for_nobody(test_client, detached, with_customer):
    # given
    payment_method, customer = detached
    body = {"amount": 1000, "currency": "usd", "payment_method": payment_method.id}
    if with_customer:
        body["customer"] = customer.id
    before = row_counts()

    # when
    response = test_client.post("/v1/payments", body, format="json")

    # then
    _assert_detached_refusal(response)
    assert row_counts() == before


def test_a_detached_card_cannot_confirm_a_payment(test_client, detached):
    payment_method, _ = detached
    created = test_client.post(
        "/v1/payments", {"amount": 1000, "currency": "usd", "confirm": False}, format="json"
    ).json()

    response = test_client.post(
        f"/v1/payments/{created['id']}/confirm", {"payment_method": payment_method.id}, "json"
    )

    _assert_detached_refusal(response)
    assert test_client.get(f"/v1/payments/{created['id']}").json()["status"] == "created"


def test_a_detached_card_cannot_be_attached_again(test_client, detached):
    # given
    payment_method, customer = detached
    attached_before = Event.objects.filter(type="payment_method.attached").count()

    # when
    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/attach", {"customer": customer.id}, "json"
    )

    # then
    _assert_detached_refusal(response)
    payment_method.refresh_from_db()
    assert payment_method.customer_id is None
    assert Event.objects.filter(type="payment_method.attached").count() == attached_before


def test_detach_an_unattached_payment_method_is_refused(test_client, merchant):
    payment_method = PaymentMethodFactory(merchant=merchant)

    response = test_client.post(f"/v1/payment_methods/{payment_method.id}/detach")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_method_unexpected_state"
    assert not Event.objects.filter(type="payment_method.detached").exists()


def test_detach_refuses_parameters(test_client, merchant):
    payment_method = PaymentMethodFactory(customer=CustomerFactory(merchant=merchant))

    response = test_client.post(
        f"/v1/payment_methods/{payment_method.id}/detach", {"customer": None}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"
    payment_method.refresh_from_db()
    assert payment_method.customer_id is not None
