"""Every vault response matches its OpenAPI schema exactly: no undeclared fields (T18)."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from payments.tests.factories import CustomerFactory, PaymentMethodFactory
from payments.tests.helpers import card_body

pytestmark = pytest.mark.django_db

_SKIPPED = {"nullable", "readOnly", "writeOnly", "description", "example", "format"}


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node: dict, components: dict) -> dict:
    """An OpenAPI 3.0 schema as JSON Schema, closed: objects allow only their properties."""
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rpartition("/")[2]], components)
    converted = {}
    for key, value in node.items():
        if key == "properties":
            converted[key] = {name: _json_schema(s, components) for name, s in value.items()}
            converted["additionalProperties"] = False
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            converted[key] = _json_schema(value, components)
        elif key in ("allOf", "anyOf", "oneOf"):
            converted[key] = [_json_schema(s, components) for s in value]
        elif key not in _SKIPPED:
            converted[key] = value
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _check(openapi: dict, path: str, method: str, response) -> None:
    operation = openapi["paths"][path][method]
    documented = operation["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), _json_schema(schema, openapi["components"]["schemas"]))


def test_every_vault_response_matches_its_schema(openapi, test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    attached = PaymentMethodFactory(customer=customer, billing_details={"name": "J"})
    loose = PaymentMethodFactory(merchant=merchant)
    calls = [
        ("/v1/customers", "post", "/v1/customers", {"email": "a@example.com"}),
        ("/v1/customers", "post", "/v1/customers", {"email": "bad"}),
        ("/v1/customers", "get", "/v1/customers", None),
        ("/v1/customers/{id}", "get", f"/v1/customers/{customer.id}", None),
        ("/v1/customers/{id}", "get", "/v1/customers/cus_missing", None),
        (
            "/v1/customers/{id}",
            "post",
            f"/v1/customers/{customer.id}",
            {"default_payment_method": attached.id},
        ),
        ("/v1/customers/{id}", "post", f"/v1/customers/{customer.id}", {"status": "x"}),
        (
            "/v1/customers/{id}/payment_methods",
            "get",
            f"/v1/customers/{customer.id}/payment_methods",
            None,
        ),
        ("/v1/payment_methods", "post", "/v1/payment_methods", card_body()),
        ("/v1/payment_methods", "post", "/v1/payment_methods", card_body("4242424242424241")),
        ("/v1/payment_methods", "get", f"/v1/payment_methods?customer={customer.id}", None),
        ("/v1/payment_methods/{id}", "get", f"/v1/payment_methods/{attached.id}", None),
        ("/v1/payment_methods/{id}", "get", "/v1/payment_methods/pm_missing", None),
        (
            "/v1/payment_methods/{id}/attach",
            "post",
            f"/v1/payment_methods/{loose.id}/attach",
            {"customer": customer.id},
        ),
        ("/v1/payment_methods/{id}/detach", "post", f"/v1/payment_methods/{loose.id}/detach", {}),
        ("/v1/payment_methods/{id}/detach", "post", f"/v1/payment_methods/{loose.id}/detach", {}),
    ]

    for path, method, url, body in calls:
        # when
        response = getattr(test_client, method)(url, body, format="json")

        # then
        _check(openapi, path, method, response)


def test_the_schema_documents_request_bodies(openapi):
    paths = openapi["paths"]

    for path, method in [
        ("/v1/customers", "post"),
        ("/v1/customers/{id}", "post"),
        ("/v1/payment_methods", "post"),
        ("/v1/payment_methods/{id}/attach", "post"),
    ]:
        assert "requestBody" in paths[path][method], (path, method)
    assert {p["name"] for p in paths["/v1/payment_methods"]["get"]["parameters"]} >= {
        "customer",
        "limit",
        "starting_after",
        "ending_before",
    }


def test_the_closed_schema_catches_an_undeclared_field(openapi, test_client):
    # given
    body = test_client.post("/v1/customers", {}, format="json").json()
    schema = _json_schema(
        openapi["paths"]["/v1/customers"]["post"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"],
        openapi["components"]["schemas"],
    )

    # when / then
    jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "pii_ciphertext": "x"}, schema)


def test_payment_refund_balance_and_endpoint_responses_match_their_schema(openapi, test_client):
    """The documented status (200 everywhere, not a generator's 201 or 204) and the
    closed schema of each answer."""
    card = {**card_body(), "billing_details": {}}
    manual = test_client.post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "capture_method": "manual",
         "payment_method_data": card},
        format="json",
    ).json()  # fmt: skip
    calls = [
        ("/v1/payments", "post", "/v1/payments",
         {"amount": 1000, "currency": "usd", "payment_method_data": card}),
        ("/v1/payments", "post", "/v1/payments",
         {"amount": 1000, "currency": "usd",
          "payment_method_data": card_body("4000000000000002")}),
        ("/v1/payments", "post", "/v1/payments", {"amount": -1, "currency": "usd"}),
        ("/v1/payments", "get", "/v1/payments", None),
        ("/v1/payments/{id}", "get", f"/v1/payments/{manual['id']}", None),
        ("/v1/payments/{id}", "get", "/v1/payments/pay_missing", None),
        ("/v1/payments/{id}/capture", "post", f"/v1/payments/{manual['id']}/capture", {}),
        ("/v1/payments/{id}/refund", "post", f"/v1/payments/{manual['id']}/refund",
         {"amount": 100}),
        ("/v1/refunds", "post", "/v1/refunds", {"payment": manual["id"], "amount": 100}),
        ("/v1/refunds", "get", "/v1/refunds", None),
        ("/v1/balance", "get", "/v1/balance", None),
        ("/v1/webhook_endpoints", "post", "/v1/webhook_endpoints",
         {"url": "http://127.0.0.1:9/hooks", "enabled_events": ["*"]}),
    ]  # fmt: skip
    statuses = []
    for path, method, url, body in calls:
        response = getattr(test_client, method)(url, body, format="json")
        _check(openapi, path, method, response)
        statuses.append(response.status_code)
    assert statuses == [200, 402, 400, 200, 200, 404, 200, 200, 200, 200, 200, 200]
    endpoint = response.json()["id"]
    deleted = test_client.delete(f"/v1/webhook_endpoints/{endpoint}")
    _check(openapi, "/v1/webhook_endpoints/{id}", "delete", deleted)
