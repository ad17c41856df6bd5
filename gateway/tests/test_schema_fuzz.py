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
