"""T26 on the vault routes: hostile bodies get a JSON 4xx with a stable code, never a 500."""

import json

import pytest

from gateway.events import Event
from payments.models import Customer, PaymentMethod
from payments.tests.helpers import card_body

pytestmark = pytest.mark.django_db

CARD = card_body()["card"]
SURROGATE = "\ud800"


def _raw(value) -> bytes:
    """JSON text exactly as a hostile client may send it (lone surrogates included)."""
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    "url, body, status, code",
    [
        ("/v1/customers", {"description": SURROGATE}, 400, "parameter_invalid"),
        ("/v1/customers", {"name": "a\x00b"}, 400, "parameter_invalid"),
        ("/v1/customers", {"email": f"a@b.c{SURROGATE}"}, 400, "parameter_invalid"),
        ("/v1/customers", {"metadata": {"k": SURROGATE}}, 400, "parameter_invalid"),
        ("/v1/customers", {"metadata": {SURROGATE: "v"}}, 400, "parameter_invalid"),
        ("/v1/customers", {"metadata": {"k": "a\x00b"}}, 400, "parameter_invalid"),
        ("/v1/customers", {"metadata": {"k": ["v"]}}, 400, "parameter_invalid"),
        ("/v1/customers", {"description": "x" * 600_000}, 400, "parameter_invalid_string"),
        ("/v1/customers", {"description": "\u202eevil \U0001f4b3"}, 200, None),
        (
            "/v1/payment_methods",
            {"type": "card", "card": {**CARD, "cvc": SURROGATE}},
            402,
            "invalid_cvc",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": {**CARD, "number": SURROGATE}},
            402,
            "incorrect_number",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": {**CARD, "exp_month": 1e308}},
            402,
            "invalid_expiry_month",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": {**CARD, "exp_year": 10**30}},
            402,
            "invalid_expiry_year",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": {**CARD, "exp_month": [12]}},
            402,
            "invalid_expiry_month",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": CARD, "billing_details": {"name": SURROGATE}},
            400,
            "parameter_invalid",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": CARD, "customer": "\x00"},
            400,
            "parameter_invalid",
        ),
        (
            "/v1/payment_methods",
            {"type": "card", "card": CARD, "billing_details": "x"},
            400,
            "parameter_invalid",
        ),
    ],
)
def test_hostile_bodies_get_a_json_4xx(test_client, url, body, status, code):
    # when
    response = test_client.generic("POST", url, _raw(body), content_type="application/json")

    # then
    assert response.status_code == status, response.content
    if code is not None:
        assert response.json()["error"]["code"] == code
        assert not Customer.objects.exists()
        assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "card", "card": {"number": "4242',  # truncated
        b"\xff\xfe{}",  # not UTF-8
        b"[" * 10_000 + b"]" * 10_000,  # nested deeper than Python recurses
        b'{"metadata": {"k": NaN}}',
    ],
)
@pytest.mark.parametrize("key", [None, "order-1"], ids=["no-key", "idempotency-key"])
def test_malformed_json_is_a_400(test_client, raw, key):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    for url in ("/v1/customers", "/v1/payment_methods"):
        response = test_client.generic("POST", url, raw, content_type="application/json", **headers)

        assert response.status_code == 400, (url, response.content[:200])
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert not Event.objects.exists()


def test_a_body_above_the_limit_is_a_json_413(test_client):
    body = {"type": "card", "card": CARD, "metadata": {"k": "v" * 500}, "x": ["1"] * 10**6}

    response = test_client.generic(
        "POST", "/v1/payment_methods", _raw(body), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    "url",
    [
        "/v1/customers/%00",
        "/v1/payment_methods/%00",
        "/v1/customers/%ED%A0%80",
        "/v1/payment_methods?customer=%00",
        "/v1/customers?starting_after=%00",
        "/v1/customers/" + "c" * 5000,
    ],
)
def test_hostile_ids_in_urls_are_4xx(test_client, url):
    response = test_client.get(url)

    assert response.status_code in (400, 404), response.content
    assert response.json()["error"]["type"] == "invalid_request_error"
