"""The OpenAPI document against the API itself (SPEC §5: "it is fuzzed against it").

schemathesis generates requests for every operation from `/v1/schema`, valid and not,
sends them through the WSGI application, and checks each answer: never a 5xx, a status
the document lists for the operation, the declared content type and headers, and a
body matching the declared schema. Requests the API refuses for reasons no schema
states (an id that names nothing, a card that fails Luhn) are fine: only the answer's
shape is judged.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """As Django's test client does: a request's start and end must not close the
    test's database connection (and with it its transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# Loaded once, at collection (schemathesis's fixture-based loading does not run under
# this pytest); generating the document reads no database.
schema = schemathesis.openapi.from_wsgi("/v1/schema", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_one_the_document_declares(case, keys, settings):
    settings.API_RATE_LIMIT = 0
    case.call_and_validate(
        headers={"Authorization": f"Bearer {keys['test_secret']}"}, checks=CHECKS
    )


def test_a_payment_answers_as_the_document_declares_to_either_key(keys):
    """The fuzzer calls with a secret key only; a publishable key reads the same
    payment (with its client secret) as the client's subset of it."""
    created = schema["/v1/payments"]["POST"].Case(
        body={
            "amount": 500,
            "currency": "usd",
            "payment_method_data": {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2040},
            },
        }
    )
    secret = {"Authorization": f"Bearer {keys['test_secret']}"}
    payment = created.call_and_validate(headers=secret, checks=CHECKS).json()
    read = schema["/v1/payments/{id}"]["GET"]

    read.Case(path_parameters={"id": payment["id"]}).call_and_validate(
        headers=secret, checks=CHECKS
    )
    as_the_browser = read.Case(
        path_parameters={"id": payment["id"]}, query={"client_secret": payment["client_secret"]}
    ).call_and_validate(
        headers={"Authorization": f"Bearer {keys['test_publishable']}"}, checks=CHECKS
    )
    assert "amount_received" not in as_the_browser.json()
