"""Hosted checkout and receipt pages (Django test client): protected by the client
secret, built for the payment's merchant and mode."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from merchants.services import merchant_suspend
from payments import hosted
from payments.models import Payment, PaymentMethod
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpaid(test_client):
    return test_client.post(
        "/v1/payments",
        {
            "amount": 1999,
            "currency": "jpy",
            "confirm": False,
            "description": "Tea <b>set</b>",
            "return_url": "https://shop.test/done",
        },
        format="json",
    ).json()


def _checkout(payment, secret: str | None = None, extra_query: str = ""):
    secret = payment["client_secret"] if secret is None else secret
    return Client().get(
        f"/hosted/payments/{payment['id']}/checkout?client_secret={secret}{extra_query}"
    )


def test_the_checkout_link_carries_the_client_secret_and_nothing_else(unpaid):
    url = hosted.checkout_url(Payment.objects.get(pk=unpaid["id"]))

    assert urlsplit(url).path == f"/hosted/payments/{unpaid['id']}/checkout"
    assert parse_qs(urlsplit(url).query) == {"client_secret": [unpaid["client_secret"]]}


def test_the_checkout_page_shows_the_payment_and_carries_what_the_script_needs(unpaid):
    page = _checkout(unpaid)

    assert page.status_code == 200
    html = page.content.decode()
    assert "1999 JPY" in html
    assert "Acme Shop" in html
    assert "Tea &lt;b&gt;set&lt;/b&gt;" in html  # escaped
    script = re.search(r'<script id="checkout-config" type="application/json">(.*?)</script>', html)
    config = json.loads(script.group(1))
    assert config["client_secret"] == unpaid["client_secret"]
    assert config["return_url"] == "https://shop.test/done"
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_checkout_runs_only_its_own_script_and_cannot_be_framed(unpaid):
    page = _checkout(unpaid)

    policy = page["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", policy).group(1)
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert [s for s in scripts if "application/json" not in s] == [f' nonce="{nonce}"']
    assert _checkout(unpaid)["Content-Security-Policy"] != policy


def test_the_card_fields_can_never_be_submitted_by_the_browser(unpaid):
    """Without the script, a form with named card fields would send the card in a GET
    query string, into URLs and access logs."""
    html = _checkout(unpaid).content.decode()

    form = re.search(r"<form [^>]*>", html).group()
    assert 'method="post"' in form
    for field in ("number", "expiry", "cvc"):
        tag = re.search(rf'<input id="{field}"[^>]*>', html).group()
        assert "name=" not in tag


def test_a_key_left_in_an_old_checkout_link_is_ignored(unpaid, keys):
    page = _checkout(unpaid, extra_query=f"&key={keys['test_publishable']}")

    assert page.status_code == 200
    assert b'<form id="checkout"' in page.content


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_the_checkout_needs_the_client_secret(unpaid, secret):
    assert _checkout(unpaid, secret).status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_checkout_takes_only_get_and_post(unpaid, method):
    url = f"/hosted/payments/{unpaid['id']}/checkout?client_secret={unpaid['client_secret']}"

    answer = getattr(Client(), method)(url)

    assert answer.status_code == 405
    assert answer["Allow"] == "GET, POST"


def _pay_at_checkout(payment, card: dict | None = None, secret: str | None = None, **body):
    body = {
        "client_secret": payment["client_secret"] if secret is None else secret,
        "card": card_data()["card"] if card is None else card,
        **body,
    }
    return Client().post(
        f"/hosted/payments/{payment['id']}/checkout", body, content_type="application/json"
    )


def test_the_checkout_form_pays_with_the_card_typed_in_and_only_the_client_secret(
    unpaid, publishable_client
):
    # when
    answer = _pay_at_checkout(unpaid, billing_details={"email": "jenny@example.com"})

    # then: the payment as the API shows it to the client secret's holder, the card saved once
    assert answer.status_code == 200, answer.json()
    paid = answer.json()
    assert (paid["id"], paid["status"]) == (unpaid["id"], "captured")
    shown = publishable_client.get(
        f"/v1/payments/{unpaid['id']}", {"client_secret": unpaid["client_secret"]}
    )
    assert paid == shown.json()
    payment = Payment.objects.get(pk=unpaid["id"])
    assert payment.payment_method.card_last4 == "4242"
    assert PaymentMethod.objects.count() == 1
    assert "csrftoken" not in answer.cookies


def test_a_card_that_needs_3d_secure_sends_the_checkout_to_its_challenge(unpaid):
    paid = _pay_at_checkout(unpaid, card_data("4000002500003155")["card"]).json()

    assert paid["status"] == "requires_action"
    assert "/authenticate?client_secret=" in paid["next_action"]["redirect_to_url"]["url"]


@pytest.mark.parametrize(
    ("card", "status", "error_type", "code", "param"),
    [
        (
            {"number": "4242424242424241", "exp_month": 12, "exp_year": 2040},
            402,
            "card_error",
            "incorrect_number",
            "card[number]",
        ),
        (
            {"number": "4242424242424242", "exp_year": 2040},
            400,
            "invalid_request_error",
            "parameter_missing",
            "card[exp_month]",
        ),
    ],
)
def test_card_data_the_api_refuses_is_refused_alike_and_saves_nothing(
    unpaid, publishable_client, card, status, error_type, code, param
):
    tokenized = publishable_client.post(
        "/v1/payment_methods", {"type": "card", "card": card}, format="json"
    )

    answer = _pay_at_checkout(unpaid, card)

    assert (answer.status_code, answer.json()) == (tokenized.status_code, tokenized.json())
    error = answer.json()["error"]
    assert (answer.status_code, error["type"], error["code"], error["param"]) == (
        status,
        error_type,
        code,
        param,
    )
    assert not PaymentMethod.objects.exists()
    assert Payment.objects.get(pk=unpaid["id"]).status == "created"


def test_a_declined_card_fails_the_payment_with_the_apis_402(unpaid):
    answer = _pay_at_checkout(unpaid, card_data("4000000000000002")["card"])

    assert answer.status_code == 402
    assert answer.json()["error"]["payment"] == unpaid["id"]
    assert Payment.objects.get(pk=unpaid["id"]).status == "failed"


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_paying_at_checkout_needs_the_client_secret(unpaid, secret):
    answer = _pay_at_checkout(unpaid, secret=secret)

    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert Payment.objects.get(pk=unpaid["id"]).status == "created"


def test_a_secret_pays_once(unpaid):
    assert _pay_at_checkout(unpaid).status_code == 200

    again = _pay_at_checkout(unpaid)

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "payment_unexpected_state"
    assert PaymentMethod.objects.count() == 1


def test_a_suspended_merchant_takes_no_payment_at_checkout(unpaid, merchant):
    merchant_suspend(merchant=merchant, actor="test", reason="review")

    answer = _pay_at_checkout(unpaid)

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "account_inactive"
    assert Payment.objects.get(pk=unpaid["id"]).status == "created"


def test_a_paid_payment_sends_the_checkout_to_the_receipt(pay):
    payment = pay(payment_method_data=card_data()).json()

    page = _checkout(payment)

    assert page.status_code == 302
    receipt = Client().get(page["Location"].removeprefix("http://127.0.0.1:8000"))
    assert receipt.status_code == 200
    assert b"Payment received" in receipt.content
    assert b"4242" in receipt.content
    assert b"4242424242" not in receipt.content


@pytest.mark.parametrize(
    ("refund", "title", "refunded"),
    [(300, "Payment received", "3.00 USD"), (None, "Payment refunded", "10.00 USD")],
)
def test_the_receipt_shows_what_was_refunded_in_money(pay, test_client, refund, title, refunded):
    payment = pay().json()
    body = {} if refund is None else {"amount": refund}
    test_client.post(f"/v1/payments/{payment['id']}/refund", body, format="json")

    page = Client().get(
        f"/hosted/payments/{payment['id']}/receipt?client_secret={payment['client_secret']}"
    )

    html = page.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert f"<dt>Refunded</dt><dd>{refunded}</dd>" in html


def test_the_receipt_needs_the_client_secret(pay):
    payment = pay().json()

    assert Client().get(f"/hosted/payments/{payment['id']}/receipt").status_code == 404
    assert (
        Client()
        .get(f"/hosted/payments/{payment['id']}/receipt?client_secret={payment['client_secret']}")
        .status_code
        == 200
    )


def test_a_nul_in_the_payment_id_is_a_bad_request():
    url = "/hosted/payments/pay_%00x/checkout"

    shown = Client().get(f"{url}?client_secret=x")
    paid = _pay_at_checkout({"id": "pay_\x00x", "client_secret": "x"})

    assert (shown.status_code, paid.status_code) == (400, 400)
