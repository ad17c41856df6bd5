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
