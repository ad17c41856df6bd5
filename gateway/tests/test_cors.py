"""CORS on /v1/: a merchant's own page may call the API with its publishable key."""

import pytest
from django.test import Client

from payments.tests.helpers import card_body

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example"


def test_a_preflight_is_answered_without_a_key():
    response = Client().options(
        "/v1/payment_methods",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert "Access-Control-Allow-Credentials" not in response


def test_a_page_of_another_origin_tokenizes_with_the_publishable_key(keys):
    response = Client().post(
        "/v1/payment_methods",
        card_body(),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_AUTHORIZATION=f"Bearer {keys['test_publishable']}",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Request-Id" in response["Access-Control-Expose-Headers"]


def test_pages_outside_the_api_share_nothing(keys):
    response = Client().get("/healthz", HTTP_ORIGIN=ORIGIN)

    assert "Access-Control-Allow-Origin" not in response
