"""The OpenAPI document states the rules the API enforces, so that a client (or a
fuzzer) generating requests from it sends what the API takes."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from iso3166 import countries_by_alpha2

DOCUMENT = SchemaGenerator().get_schema(request=None, public=True)


def _accepts(component: str, instance) -> bool:
    """Whether `instance` is valid for the component, `$ref`s resolved in the document."""
    schema = {**DOCUMENT["components"]["schemas"][component], "components": DOCUMENT["components"]}
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return validator.is_valid(instance)


def _query_parameter(path: str, name: str) -> dict:
    parameters = DOCUMENT["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/payments", "starting_after"),
        ("/v1/payments", "customer"),
        ("/v1/events", "object"),
        ("/v1/refunds", "payment"),
    ],
)
def test_list_parameters_take_no_empty_value(path, name):
    assert _query_parameter(path, name)["minLength"] == 1


def test_country_codes_are_those_of_iso_3166_in_any_case():
    def accepted(code):
        return _accepts("RiskContextRequest", {"billing_country": code})

    assert all(accepted(code) and accepted(code.lower()) for code in countries_by_alpha2)
    assert not any(accepted(code) for code in ("AA", "ZZ", "U", "USA", ""))


def test_ip_addresses_are_v4_or_v6():
    def accepted(address):
        return _accepts("RiskContextRequest", {"ip_address": address})

    assert accepted("203.0.113.9")
    assert accepted("2001:db8::1")
    assert not accepted("203.0.113")
    assert not accepted("example.com")


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("email", "fraud@example.com", "not-an-address"),
        ("ip_address", "198.51.100.7", "198.51.100"),
        ("card_bin", "424242", "42424"),
        ("card_fingerprint", "a1b2c3d4e5f6a7b8", "short"),
    ],
)
def test_a_blocklist_item_takes_the_values_of_its_type(kind, good, bad):
    assert _accepts("BlocklistItemCreateInputRequest", {"type": kind, "value": good})
    assert not _accepts("BlocklistItemCreateInputRequest", {"type": kind, "value": bad})


@pytest.mark.parametrize(
    ("events", "valid"),
    [
        (["payment.captured", "refund.created"], True),
        (["*"], True),
        ([], False),
        (["*", "payment.captured"], False),
        (["payment.unknown"], False),
    ],
)
def test_enabled_events_are_known_types_or_the_wildcard_alone(events, valid):
    body = {"url": "https://example.com/hook", "enabled_events": events}
    assert _accepts("WebhookEndpointCreateInputRequest", body) is valid


def test_a_required_text_is_not_blank():
    assert _accepts("RefundCreateInputRequest", {"payment": "pay_1"})
    assert not _accepts("RefundCreateInputRequest", {"payment": "   "})


def test_every_operation_declares_the_400_of_a_query_parameter_it_does_not_take():
    operations = [
        (path, method, operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    ]

    assert len(operations) > 30
    assert [(path, method) for path, method, op in operations if "400" not in op["responses"]] == []
