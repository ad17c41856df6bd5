"""Hosted checkout and receipt pages (Django test client): protected by the client
secret, built for the payment's merchant and mode."""

import json
import re

import pytest
from django.test import Client

from merchants.models import ApiKey
from merchants.services import api_key_roll
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


def _checkout(payment, key: str, secret: str | None = None):
    secret = payment["client_secret"] if secret is None else secret
    return Client().get(
        f"/hosted/payments/{payment['id']}/checkout?client_secret={secret}&key={key}"
    )


def test_the_checkout_page_shows_the_payment_and_carries_what_the_script_needs(unpaid, keys):
    page = _checkout(unpaid, keys["test_publishable"])

    assert page.status_code == 200
    html = page.content.decode()
    assert "1999 JPY" in html
    assert "Acme Shop" in html
    assert "Tea &lt;b&gt;set&lt;/b&gt;" in html  # escaped
    script = re.search(r'<script id="checkout-config" type="application/json">(.*?)</script>', html)
    config = json.loads(script.group(1))
    assert config["publishable_key"] == keys["test_publishable"]
    assert config["client_secret"] == unpaid["client_secret"]
    assert config["return_url"] == "https://shop.test/done"
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_checkout_runs_only_its_own_script_and_cannot_be_framed(unpaid, keys):
    page = _checkout(unpaid, keys["test_publishable"])

    policy = page["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", policy).group(1)
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert [s for s in scripts if "application/json" not in s] == [f' nonce="{nonce}"']
    assert _checkout(unpaid, keys["test_publishable"])["Content-Security-Policy"] != policy


def test_the_card_fields_can_never_be_submitted_by_the_browser(unpaid, keys):
    """Without the script, a form with named card fields would send the card in a GET
    query string, into URLs and access logs."""
    html = _checkout(unpaid, keys["test_publishable"]).content.decode()

    form = re.search(r"<form [^>]*>", html).group()
    assert 'method="post"' in form
    for field in ("number", "expiry", "cvc"):
        tag = re.search(rf'<input id="{field}"[^>]*>', html).group()
        assert "name=" not in tag


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_the_checkout_needs_the_client_secret(unpaid, keys, secret):
    assert _checkout(unpaid, keys["test_publishable"], secret).status_code == 404


@pytest.mark.parametrize("key", ["", "sk_test_nope", "pk_live_abcdefghijklmnopqrstuvwxyz0123"])
def test_the_checkout_needs_a_publishable_key_of_the_payments_mode(unpaid, keys, key):
    if key == "sk_test_nope":
        key = keys["test_secret"]
    page = _checkout(unpaid, key)

    assert page.status_code == 400
    assert b"publishable test key" in page.content


@pytest.mark.parametrize("whose", ["another merchant's", "a rolled", "a made-up"])
def test_the_checkout_needs_a_usable_publishable_key_of_the_payments_merchant(
    unpaid, keys, other_merchant_with_keys, whose
):
    # given: a link whose key would tokenize the card for someone else, or not at all
    key = {
        "another merchant's": other_merchant_with_keys[1]["test_publishable"],
        "a rolled": keys["test_publishable"],
        "a made-up": "pk_test_" + "A" * 32,
    }[whose]
    if whose == "a rolled":
        api_key_roll(
            api_key=ApiKey.objects.get(
                kind="publishable", livemode=False, merchant__name="Acme Shop"
            ),
            actor="test",
        )

    # when
    page = _checkout(unpaid, key)

    # then
    assert page.status_code == 400
    assert b"publishable test key" in page.content
    assert key.encode() not in page.content


def test_a_paid_payment_sends_the_checkout_to_the_receipt(pay, keys):
    payment = pay(payment_method_data=card_data()).json()

    page = _checkout(payment, keys["test_publishable"])

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
