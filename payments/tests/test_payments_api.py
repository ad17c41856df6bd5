import time

import pytest
import time_machine

from gateway.tests.assertions import assert_json_error
from merchants.services import merchant_suspend
from payments.models import Payment, Refund
from payments.representations import PaymentClientSerializer
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


def test_payment_object_has_the_documented_shape(pay):
    body = pay(metadata={"order": "42"}, description="Order 42").json()

    assert set(body) >= {
        "id",
        "object",
        "amount",
        "amount_capturable",
        "amount_received",
        "amount_refunded",
        "currency",
        "status",
        "capture_method",
        "customer",
        "payment_method",
        "provider",
        "provider_reference",
        "failure_code",
        "failure_message",
        "next_action",
        "risk",
        "livemode",
        "metadata",
        "description",
        "created",
        "client_secret",
    }
    assert body["object"] == "payment"
    assert body["id"].startswith("pay_")
    assert body["payment_method"].startswith("pm_")
    assert body["currency"] == "usd"
    assert body["livemode"] is False
    assert body["metadata"] == {"order": "42"}
    assert body["client_secret"].startswith(body["id"] + "_secret_")
    assert abs(body["created"] - time.time()) < 60


def test_currency_is_case_insensitive_in_and_lower_case_out(pay):
    assert pay(currency="EUR").json()["currency"] == "eur"


def test_confirm_false_then_confirm(pay, test_client):
    created = pay(confirm=False).json()
    assert created["status"] == "created"

    confirmed = test_client.post(f"/v1/payments/{created['id']}/confirm", {}, format="json")

    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "captured"


def test_confirm_takes_the_return_url_the_challenge_sends_the_cardholder_to(pay, test_client):
    created = pay(confirm=False, payment_method_data=card_data("4000002500003155")).json()

    confirmed = test_client.post(
        f"/v1/payments/{created['id']}/confirm",
        {"return_url": "https://shop.test/back"},
        format="json",
    ).json()

    assert confirmed["status"] == "requires_action"
    assert confirmed["return_url"] == "https://shop.test/back"
    assert confirmed["next_action"]["redirect_to_url"]["return_url"] == "https://shop.test/back"
    assert Payment.objects.get(pk=created["id"]).return_url == "https://shop.test/back"


def test_confirm_without_a_payment_method_is_400(test_client):
    created = test_client.post(
        "/v1/payments", {"amount": 500, "currency": "usd", "confirm": False}, format="json"
    ).json()

    response = test_client.post(f"/v1/payments/{created['id']}/confirm", {}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "payment_method"


def test_confirm_true_needs_a_payment_method(test_client):
    response = test_client.post("/v1/payments", {"amount": 500, "currency": "usd"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "payment_method"
    assert not Payment.objects.exists()


def test_publishable_key_confirms_only_with_the_client_secret(pay, client_for, keys):
    created = pay(confirm=False).json()
    public = client_for(keys["test_publishable"])

    refused = public.post(f"/v1/payments/{created['id']}/confirm", {}, format="json")
    wrong = public.post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"] + "x"},
        format="json",
    )
    accepted = public.post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"]},
        format="json",
    )

    assert_json_error(refused, 403, "permission_error", "secret_key_required")
    assert assert_json_error(wrong, 400, "invalid_request_error")["param"] == "client_secret"
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "captured"
    assert public.get(f"/v1/payments/{created['id']}").status_code == 403


def test_a_publishable_key_pays_only_with_a_card_no_other_payment_used(
    pay, test_client, client_for, keys
):
    # given: a card that paid once (its id is in the merchant's logs, a receipt, a URL)
    used = pay().json()["payment_method"]
    public = client_for(keys["test_publishable"])
    fresh = public.post("/v1/payment_methods", card_data(), format="json").json()["id"]
    first, second = pay(confirm=False).json(), pay(confirm=False).json()

    # when
    reused = public.post(
        f"/v1/payments/{first['id']}/confirm",
        {"client_secret": first["client_secret"], "payment_method": used},
        format="json",
    )
    tokenized = public.post(
        f"/v1/payments/{first['id']}/confirm",
        {"client_secret": first["client_secret"], "payment_method": fresh},
        format="json",
    )
    again = public.post(
        f"/v1/payments/{second['id']}/confirm",
        {"client_secret": second["client_secret"], "payment_method": fresh},
        format="json",
    )
    by_the_merchant = test_client.post(
        f"/v1/payments/{second['id']}/confirm", {"payment_method": used}, format="json"
    )

    # then
    error = assert_json_error(
        reused, 400, "invalid_request_error", "payment_method_unexpected_state"
    )
    assert error["param"] == "payment_method"
    assert tokenized.json()["status"] == "captured"
    assert assert_json_error(again, 400, "invalid_request_error")["param"] == "payment_method"
    assert by_the_merchant.json()["status"] == "captured"  # a secret key's choice


def test_a_browser_cannot_name_another_ip_address_to_pass_screening(
    pay, test_client, client_for, keys
):
    # given: the cardholder's address (the test client's) is blocklisted
    test_client.post(
        "/v1/blocklist_items", {"type": "ip_address", "value": "127.0.0.1"}, format="json"
    )
    created = pay(confirm=False).json()

    # when: the browser says it is somewhere else
    response = client_for(keys["test_publishable"]).post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"], "risk_context": {"ip_address": "8.8.8.8"}},
        format="json",
    )

    # then: screening used the connection's address
    assert_json_error(response, 402, "card_error", "fraud_blocked")
    stored = test_client.get(f"/v1/payments/{created['id']}").json()
    assert (stored["status"], stored["failure_code"]) == ("failed", "fraud_blocked")


def test_a_publishable_key_reads_a_payment_with_its_client_secret(
    pay, test_client, client_for, keys
):
    created = pay(confirm=False, metadata={"order": "42"}).json()
    public = client_for(keys["test_publishable"])
    url = f"/v1/payments/{created['id']}"

    read = public.get(url, {"client_secret": created["client_secret"]})
    wrong = public.get(url, {"client_secret": created["client_secret"] + "x"})
    by_secret_key = test_client.get(url, {"client_secret": created["client_secret"]})

    assert read.status_code == 200
    assert set(read.json()) == set(PaymentClientSerializer().fields)
    assert (read.json()["id"], read.json()["status"]) == (created["id"], "created")
    assert "metadata" not in read.json()
    assert assert_json_error(wrong, 400, "invalid_request_error")["param"] == "client_secret"
    assert_json_error(public.get(url), 403, "permission_error", "secret_key_required")
    assert by_secret_key.json()["metadata"] == {"order": "42"}  # the secret key's view
    unknown = test_client.get(url, {"expand": "customer"})
    assert assert_json_error(unknown, 400, "invalid_request_error")["param"] == "expand"


def test_a_browser_cannot_replace_what_the_merchant_said_about_the_customer(
    pay, test_client, client_for, keys
):
    # given: the merchant's server named the customer's e-mail, which is blocklisted
    test_client.post(
        "/v1/blocklist_items", {"type": "email", "value": "bad@shop.test"}, format="json"
    )
    created = pay(confirm=False, risk_context={"email": "bad@shop.test"}).json()

    # when: the browser names another
    response = client_for(keys["test_publishable"]).post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"], "risk_context": {"email": "ok@x.test"}},
        format="json",
    )

    # then: screening used the merchant's
    assert_json_error(response, 402, "card_error", "fraud_blocked")


def test_a_browser_cannot_replace_the_customers_email_either(pay, test_client, client_for, keys):
    # given: the merchant's customer, whose e-mail is blocklisted
    test_client.post(
        "/v1/blocklist_items", {"type": "email", "value": "bad@shop.test"}, format="json"
    )
    customer = test_client.post("/v1/customers", {"email": "bad@shop.test"}, format="json")
    created = pay(confirm=False, customer=customer.json()["id"]).json()

    # when: the browser names another e-mail
    response = client_for(keys["test_publishable"]).post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"], "risk_context": {"email": "ok@x.test"}},
        format="json",
    )

    # then: screening used the customer's
    assert_json_error(response, 402, "card_error", "fraud_blocked")


def test_a_browsers_confirm_takes_the_country_its_connection_shows(
    pay, test_client, client_for, keys
):
    created = pay(confirm=False, risk_context={"ip_country": "FR"}).json()

    client_for(keys["test_publishable"]).post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"]},
        format="json",
        HTTP_RISK_IP_COUNTRY="NG",
    )

    assert Payment.objects.get(pk=created["id"]).risk_context["ip_country"] == "NG"


@pytest.fixture
def customers_card(test_client):
    """A saved card attached to a customer: (customer id, payment method id)."""
    customer = test_client.post("/v1/customers", {"email": "c@example.com"}, format="json")
    method = test_client.post("/v1/payment_methods", card_data(), format="json").json()["id"]
    customer_id = customer.json()["id"]
    attached = test_client.post(
        f"/v1/payment_methods/{method}/attach", {"customer": customer_id}, format="json"
    )
    assert attached.status_code == 200, attached.content
    return customer_id, method


def test_a_publishable_key_cannot_confirm_with_a_customers_saved_card(
    test_client, client_for, keys, customers_card
):
    # given: a payment for no customer, and someone who learnt a customer's card id
    created = test_client.post(
        "/v1/payments", {"amount": 1000, "currency": "usd", "confirm": False}, format="json"
    ).json()
    public = client_for(keys["test_publishable"])

    # when
    response = public.post(
        f"/v1/payments/{created['id']}/confirm",
        {"client_secret": created["client_secret"], "payment_method": customers_card[1]},
        format="json",
    )

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid")
    assert error["param"] == "payment_method"
    assert test_client.get(f"/v1/payments/{created['id']}").json()["status"] == "created"


@pytest.mark.parametrize("given_customer", ["none", "another", "its own"])
def test_a_customers_saved_card_pays_only_for_that_customer(
    pay, test_client, customers_card, given_customer
):
    # given
    owner, method = customers_card
    other = test_client.post("/v1/customers", {}, format="json").json()["id"]
    body = {"payment_method": method}
    if given_customer != "none":
        body["customer"] = owner if given_customer == "its own" else other

    # when
    response = pay(**body)

    # then
    if given_customer == "its own":
        assert response.json()["status"] == "captured"
    else:
        error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid")
        assert error["param"] == "payment_method"
        assert not Payment.objects.exists()


def test_a_publishable_key_sees_no_risk_nor_the_merchants_fields(pay, client_for, keys):
    created = pay(confirm=False, metadata={"order": "42"}).json()

    seen = (
        client_for(keys["test_publishable"])
        .post(
            f"/v1/payments/{created['id']}/confirm",
            {"client_secret": created["client_secret"]},
            format="json",
        )
        .json()
    )

    assert seen["status"] == "captured"
    hidden = {"risk", "metadata", "customer", "provider", "amount_received", "return_url"}
    assert not hidden & set(seen)
    assert {"id", "client_secret", "next_action", "payment_method"} <= set(seen)
    assert set(seen) == set(PaymentClientSerializer().fields)


def test_partial_capture_releases_the_rest(pay, test_client):
    payment_id = pay(capture_method="manual").json()["id"]

    body = test_client.post(
        f"/v1/payments/{payment_id}/capture", {"amount": 600}, format="json"
    ).json()

    assert (body["status"], body["amount_received"], body["amount_capturable"]) == (
        "captured",
        600,
        0,
    )


def test_capture_above_the_capturable_amount_is_refused(pay, test_client):
    payment_id = pay(capture_method="manual").json()["id"]

    response = test_client.post(
        f"/v1/payments/{payment_id}/capture", {"amount": 1001}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_too_large"
    assert Payment.objects.get(pk=payment_id).status == "authorized"


def test_refund_objects_and_their_routes(pay, test_client):
    payment_id = pay().json()["id"]

    first = test_client.post(
        "/v1/refunds",
        {"payment": payment_id, "amount": 300, "reason": "requested_by_customer"},
        format="json",
    )
    second = test_client.post(f"/v1/payments/{payment_id}/refund", {}, format="json")
    too_much = test_client.post("/v1/refunds", {"payment": payment_id, "amount": 1}, format="json")

    assert first.status_code == 200
    refund = first.json()
    assert (refund["object"], refund["amount"], refund["status"], refund["payment"]) == (
        "refund",
        300,
        "succeeded",
        payment_id,
    )
    assert refund["reason"] == "requested_by_customer"
    assert second.json()["amount"] == 700
    assert too_much.status_code == 400
    payment = test_client.get(f"/v1/payments/{payment_id}").json()
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", 1000)
    assert test_client.get(f"/v1/refunds/{refund['id']}").json() == refund
    listed = test_client.get(f"/v1/refunds?payment={payment_id}").json()
    assert [r["id"] for r in listed["data"]] == [second.json()["id"], refund["id"]]


def test_refund_of_an_unknown_payment_is_400(test_client):
    response = test_client.post("/v1/refunds", {"payment": "pay_nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "payment"
    assert not Refund.objects.exists()


def test_list_is_newest_first_with_cursor_pagination(pay, test_client):
    ids = [pay(amount=100 + i).json()["id"] for i in range(5)]

    first_page = test_client.get("/v1/payments?limit=2").json()
    second_page = test_client.get(f"/v1/payments?limit=2&starting_after={ids[3]}").json()
    before = test_client.get(f"/v1/payments?limit=2&ending_before={ids[1]}").json()

    assert first_page["object"] == "list"
    assert first_page["url"] == "/v1/payments"
    assert [p["id"] for p in first_page["data"]] == [ids[4], ids[3]]
    assert first_page["has_more"] is True
    assert [p["id"] for p in second_page["data"]] == [ids[2], ids[1]]
    assert [p["id"] for p in before["data"]] == [ids[3], ids[2]]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "parameter_invalid_integer"),
        ("limit=101", "parameter_invalid_integer"),
        ("limit=x", "parameter_invalid_integer"),
        ("status=nope", "parameter_invalid"),
        ("created[gte]=yesterday", "parameter_invalid_integer"),
        ("created[gte]=-5", "parameter_invalid_integer"),
        ("starting_after=a&ending_before=b", "parameters_exclusive"),
    ],
)
def test_bad_list_parameters_are_400_with_stripes_codes(test_client, query, code):
    response = test_client.get(f"/v1/payments?{query}")

    error = assert_json_error(response, 400, "invalid_request_error", code)
    assert error["param"]


@pytest.mark.parametrize(
    ("path", "param", "value"),
    [
        ("/v1/payments", "customer", "cus_01jd000000000000000000000a"),
        ("/v1/refunds", "payment", "pay_01jd000000000000000000000a"),
    ],
)
def test_a_list_filter_naming_no_object_of_the_callers_is_refused(test_client, path, param, value):
    response = test_client.get(f"{path}?{param}={value}")

    error = assert_json_error(response, 400, "invalid_request_error", "resource_missing")
    assert error["param"] == param


def test_a_list_filter_naming_another_merchants_payment_is_refused(
    pay, client_for, other_merchant_with_keys
):
    theirs = client_for(other_merchant_with_keys[1]["test_secret"])
    payment_id = pay().json()["id"]

    response = theirs.get(f"/v1/refunds?payment={payment_id}")

    assert_json_error(response, 400, "invalid_request_error", "resource_missing")


@pytest.mark.parametrize("param", ["starting_after", "ending_before"])
@pytest.mark.parametrize(
    "cursor", ["pay_01jd000000000000000000000a", "zzz", "re_01jd000000000000000000000a"]
)
def test_a_cursor_that_is_none_of_the_callers_payments_is_refused(pay, test_client, param, cursor):
    pay()

    response = test_client.get(f"/v1/payments?{param}={cursor}")

    error = assert_json_error(response, 400, "invalid_request_error", "resource_missing")
    assert error["param"] == param


def test_paging_resumes_after_a_payment_that_left_the_filter(pay, test_client):
    # given: the first page of authorized payments, whose last one is then captured
    ids = [pay(capture_method="manual").json()["id"] for _ in range(3)]
    first = test_client.get("/v1/payments?status=authorized&limit=2").json()
    assert [p["id"] for p in first["data"]] == ids[:0:-1]
    test_client.post(f"/v1/payments/{ids[1]}/capture", {}, format="json")

    # when
    second = test_client.get(f"/v1/payments?status=authorized&limit=2&starting_after={ids[1]}")

    # then
    assert [p["id"] for p in second.json()["data"]] == [ids[0]]


@pytest.mark.parametrize(
    "operator, includes_second_t", [("gt", False), ("gte", True), ("lt", False), ("lte", True)]
)
def test_created_filters_compare_whole_seconds(pay, test_client, operator, includes_second_t):
    # given: a payment at T.8 seconds (it shows created: T), one second before, one after
    ids = {}
    for offset in (-1, 0.8, 2):
        with time_machine.travel(1_800_000_000 + offset, tick=False):
            ids[offset] = pay().json()["id"]

    # when
    listed = test_client.get(f"/v1/payments?created[{operator}]=1800000000").json()["data"]

    # then
    listed_ids = {p["id"] for p in listed}
    assert test_client.get(f"/v1/payments/{ids[0.8]}").json()["created"] == 1_800_000_000
    assert (ids[0.8] in listed_ids) is includes_second_t
    before_or_after = ids[-1] if operator.startswith("l") else ids[2]
    assert before_or_after in listed_ids
    exact = test_client.get("/v1/payments?created=1800000000").json()["data"]
    assert [p["id"] for p in exact] == [ids[0.8]]


@pytest.mark.parametrize(
    "path",
    ["/v1/payments", "/v1/refunds", "/v1/events", "/v1/balance_transactions",
     "/v1/provider_accounts", "/v1/webhook_endpoints", "/v1/customers"],
)  # fmt: skip
@pytest.mark.parametrize("query, param", [("foo=bar", "foo"), ("created[foo]=1", "created[foo]")])
def test_a_list_refuses_a_parameter_it_does_not_take(test_client, path, query, param):
    error = assert_json_error(test_client.get(f"{path}?{query}"), 400, "invalid_request_error")

    assert (error["code"], error["param"]) == ("parameter_unknown", param)


@pytest.mark.parametrize(
    "path, query",
    [("/v1/payments", "customer="), ("/v1/payments", "status="),
     ("/v1/payments", "starting_after="), ("/v1/payments", "ending_before="),
     ("/v1/payments", "created[gte]="),
     ("/v1/refunds", "payment="), ("/v1/events", "type="), ("/v1/customers", "starting_after="),
     ("/v1/balance_transactions", "ending_before=")],
)  # fmt: skip
def test_an_empty_list_parameter_is_refused_not_ignored(pay, test_client, path, query):
    # given: a list an ignored filter would show
    pay()

    # when
    response = test_client.get(f"{path}?{query}")

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid_empty")
    assert error["param"] == query.rstrip("=")


@pytest.mark.parametrize("path", ["/v1/payments/{payment}", "/v1/customers/{customer}",
                                  "/v1/events/{event}", "/v1/refunds/{refund}",
                                  "/v1/account", "/v1/balance"])  # fmt: skip
def test_a_retrieve_refuses_a_query_parameter(pay, test_client, path):
    # given
    payment = pay().json()["id"]
    ids = {
        "payment": payment,
        "customer": test_client.post("/v1/customers", {}, format="json").json()["id"],
        "event": test_client.get("/v1/events").json()["data"][0]["id"],
        "refund": test_client.post(f"/v1/payments/{payment}/refund", {}, format="json").json()[
            "id"
        ],
    }
    url = path.format(**ids)
    assert test_client.get(url).status_code == 200

    # when
    response = test_client.get(f"{url}?expand[]=customer")

    # then
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == "expand[]"


def test_list_filters(pay, test_client):
    captured = pay().json()["id"]
    authorized = pay(capture_method="manual").json()["id"]

    by_status = test_client.get("/v1/payments?status=authorized").json()["data"]
    now = int(time.time())
    future = test_client.get(f"/v1/payments?created[gte]={now + 60}").json()["data"]
    past = test_client.get(f"/v1/payments?created[lte]={now + 60}").json()["data"]

    assert [p["id"] for p in by_status] == [authorized]
    assert future == []
    assert {p["id"] for p in past} == {captured, authorized}


def test_test_and_live_data_never_mix(pay, client_for, keys):
    payment_id = pay().json()["id"]
    live = client_for(keys["live_secret"])

    assert live.get(f"/v1/payments/{payment_id}").status_code == 404
    assert live.get("/v1/payments").json()["data"] == []


def test_a_suspended_merchant_cannot_take_money_but_can_refund_and_cancel(
    pay, test_client, merchant
):
    payment_id = pay().json()["id"]
    authorized = [pay(capture_method="manual").json()["id"] for _ in range(2)]
    merchant_suspend(merchant=merchant, actor="test", reason="risk review")

    charge = pay()
    capture = test_client.post(f"/v1/payments/{authorized[0]}/capture", {}, format="json")
    cancel = test_client.post(f"/v1/payments/{authorized[1]}/cancel", {}, format="json")
    refund = test_client.post(f"/v1/payments/{payment_id}/refund", {}, format="json")

    assert_json_error(charge, 403, "permission_error", "account_inactive")
    assert_json_error(capture, 403, "permission_error", "account_inactive")
    assert Payment.objects.get(pk=authorized[0]).status == "authorized"
    assert cancel.json()["status"] == "canceled"
    assert refund.status_code == 200
    assert Payment.objects.count() == 3
    assert test_client.get(f"/v1/payments/{payment_id}").status_code == 200  # reads too


def test_answers_carrying_a_client_secret_are_never_cached(pay, test_client):
    created = pay(confirm=False)
    read = test_client.get(f"/v1/payments/{created.json()['id']}")

    assert created["Cache-Control"] == read["Cache-Control"] == "no-cache, no-store"


@pytest.mark.parametrize(
    ("card", "param"),
    [
        ({"number": "4242424242424242", "exp_year": 2040}, "payment_method_data[card][exp_month]"),
        ({"exp_month": 12, "exp_year": 2040}, "payment_method_data[card][number]"),
    ],
)
def test_a_card_missing_a_field_is_a_missing_parameter_as_when_tokenizing(pay, card, param):
    response = pay(payment_method_data={"type": "card", "card": card})

    error = assert_json_error(response, 400, "invalid_request_error", "parameter_missing")
    assert error["param"] == param
    assert not Payment.objects.exists()


def test_inline_billing_details_are_checked_as_when_tokenizing(pay):
    response = pay(payment_method_data={**card_data(), "billing_details": {"nickname": "x"}})

    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == "payment_method_data[billing_details][nickname]"
    assert not Payment.objects.exists()


@pytest.mark.parametrize("action", ["capture", "refund"])
def test_a_parameter_left_in_the_url_of_a_post_is_refused_not_ignored(pay, test_client, action):
    # given an authorized payment and a captured one
    payment_id = pay(capture_method="manual" if action == "capture" else "automatic").json()["id"]
    before = Payment.objects.get(pk=payment_id)

    # when the partial amount is sent in the query string instead of the body
    response = test_client.post(f"/v1/payments/{payment_id}/{action}?amount=300", {}, format="json")

    # then it is not taken for a request for the whole amount
    error = assert_json_error(response, 400, "invalid_request_error", "parameter_unknown")
    assert error["param"] == "amount"
    after = Payment.objects.get(pk=payment_id)
    assert (after.status, after.amount_received_minor, after.amount_refunded_minor) == (
        before.status,
        before.amount_received_minor,
        before.amount_refunded_minor,
    )


def test_an_empty_client_secret_is_refused_whatever_the_key(pay, test_client):
    payment_id = pay().json()["id"]

    response = test_client.get(f"/v1/payments/{payment_id}?client_secret=")

    error = assert_json_error(response, 400, "invalid_request_error", "parameter_invalid_empty")
    assert error["param"] == "client_secret"
