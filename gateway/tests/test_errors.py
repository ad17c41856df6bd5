"""Every error on a /v1/ path is the JSON error body, with a Request-Id, never HTML."""

import pytest
from django.test import Client

from gateway.tests.assertions import assert_json_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("gateway.tests.urls")]


def test_401_without_key(api_client):
    assert_json_error(api_client.get("/v1/account"), 401, "authentication_error")


def test_403_publishable_key(client_for, keys):
    response = client_for(keys["test_publishable"]).get("/v1/account")

    assert_json_error(response, 403, "permission_error", "secret_key_required")


@pytest.mark.parametrize("path", ["/v1/nope", "/v1/payments/pay_missing/whatever", "/v1/", "/v1"])
def test_404_unknown_path_with_and_without_key(api_client, test_client, path):
    assert_json_error(api_client.get(path), 404, "invalid_request_error", "resource_missing")
    assert_json_error(test_client.post(path), 404, "invalid_request_error", "resource_missing")


@pytest.mark.parametrize("path", ["/v1", "/v1/nope"])
def test_404_is_json_with_debug_on_and_names_no_methods(settings, test_client, path):
    settings.DEBUG = True

    response = test_client.get(path)

    assert_json_error(response, 404, "invalid_request_error", "resource_missing")
    assert "Allow" not in response


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("host", ["evil.example", "bad host!"])
def test_a_host_outside_allowed_hosts_is_a_json_400(settings, test_client, caplog, debug, host):
    settings.DEBUG = debug

    response = test_client.get("/v1/account", HTTP_HOST=host)

    assert_json_error(response, 400, "invalid_request_error", "invalid_request")
    assert response["Request-Id"].startswith("req_")
    assert any(r.name == "django.security.DisallowedHost" for r in caplog.records)


def test_405_wrong_method(test_client):
    assert_json_error(
        test_client.delete("/v1/account"), 405, "invalid_request_error", "method_not_allowed"
    )


@pytest.mark.parametrize("method", ["post", "delete"])
def test_405_on_the_schema_is_json_too(api_client, method):
    response = getattr(api_client, method)("/v1/schema")

    assert_json_error(response, 405, "invalid_request_error", "method_not_allowed")


def test_415_non_json_body(test_client):
    response = test_client.post("/v1/_test/echo", data="amount=1", content_type="text/plain")

    assert_json_error(response, 415, "invalid_request_error", "unsupported_media_type")


@pytest.mark.parametrize("body", ['{"amount": 1', "not json", '{"a": NaN}', "\xff\xfe"])
def test_400_malformed_json(test_client, body):
    response = test_client.post("/v1/_test/echo", data=body, content_type="application/json")

    assert_json_error(response, 400, "invalid_request_error", "parse_error")


def test_valid_json_reaches_the_view(test_client):
    response = test_client.post("/v1/_test/echo", {"a": 1}, format="json")

    assert response.status_code == 200
    assert response.json() == {"received": {"a": 1}}


def test_413_oversize_body_before_authentication(api_client):
    body = '{"description": "' + "x" * (1024 * 1024) + '"}'

    response = api_client.post("/v1/_test/echo", data=body, content_type="application/json")

    assert_json_error(response, 413, "invalid_request_error", "request_too_large")


def test_429_over_the_rate_limit_with_retry_after(settings, client_for, keys):
    settings.API_RATE_LIMIT = 3
    client = client_for(keys["test_secret"])

    statuses = [client.get("/v1/account").status_code for _ in range(4)]
    limited = client.get("/v1/account")

    assert statuses[:3] == [200, 200, 200]
    assert_json_error(limited, 429, "rate_limit_error")
    assert int(limited["Retry-After"]) >= 1
    # another key has its own budget
    assert client_for(keys["live_secret"]).get("/v1/account").status_code == 200


def test_500_is_json_without_traceback_and_is_logged_redacted(test_client, caplog):
    response = test_client.get("/v1/_test/crash")

    error = assert_json_error(response, 500, "api_error", "internal_error")
    assert "exploded" not in error["message"]
    assert b"Traceback" not in response.content
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "RuntimeError" in logged
    assert "4242424242424242" not in logged
    assert "424242******4242" in logged


@pytest.mark.parametrize("path", ["/healthz", "/v1/schema", "/v1/account", "/v1/nope", "/admin/"])
def test_request_id_on_every_response(api_client, path):
    first, second = api_client.get(path), api_client.get(path)

    assert first["Request-Id"].startswith("req_")
    assert first["Request-Id"] != second["Request-Id"]


@pytest.mark.parametrize("path", ["/v1/account", "/v1/nope", "/v1/_test/crash"])
@pytest.mark.parametrize("authenticated", [False, True])
def test_no_api_answer_is_cached(api_client, test_client, path, authenticated):
    response = (test_client if authenticated else api_client).get(path)

    assert response["Cache-Control"] == "no-cache, no-store"


def test_non_api_404_stays_a_page(api_client):
    response = api_client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Request-Id"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/webhooks/stripe/pa_nothere", "POST"),
        ("put", "/webhooks/paypal/pa_nothere", "POST"),
        ("delete", "/readyz", "GET, HEAD"),
    ],
)
def test_machine_endpoints_refuse_other_methods_with_the_json_error(method, path, allowed):
    response = getattr(Client(enforce_csrf_checks=True), method)(path)

    assert_json_error(response, 405, "invalid_request_error", "method_not_allowed")
    assert response["Allow"] == allowed


@pytest.mark.parametrize(
    "path",
    [
        "/admin/payments/payment/pay_%00/change/",
        "/admin/payments/payment/?status__exact=%00",
        "/admin/payments/payment/?%00=1",
        "/hosted/payments/pay_%00/receipt",
    ],
)
def test_a_nul_in_a_pages_url_is_a_400_not_a_database_error(staff_client, path):
    staff_client.raise_request_exception = False

    assert staff_client.get(path).status_code == 400
