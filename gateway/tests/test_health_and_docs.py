import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_and_refuse_writes_with_json(path):
    client = Client(enforce_csrf_checks=True)

    assert client.head(path).status_code == 200
    refused = client.post(path)
    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD"
    assert refused.json()["error"]["code"] == "method_not_allowed"


def test_readyz_ok_when_database_and_broker_answer(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": True, "broker": True, "vault": True}


def test_readyz_fails_when_the_vault_keys_cannot_be_read(api_client, settings):
    settings.VAULT_KEYS = "not-a-key"

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["vault"] is False


@pytest.mark.django_db(transaction=True)
def test_readyz_fails_when_the_database_is_unreachable(api_client):
    unreachable = (
        {"HOST": "127.0.0.1", "PORT": "1"}  # nothing listens on port 1
        if connection.vendor == "postgresql"
        else {"NAME": "/nonexistent-dir/db.sqlite3"}
    )
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(unreachable)
    try:
        response = api_client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict.update(original)

    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False


def test_schema_is_served_without_a_key(api_client):
    response = api_client.get("/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/v1/account" in schema["paths"]


def test_schema_is_json_unless_yaml_is_asked_for(api_client):
    plain = api_client.get("/v1/schema")
    asked = api_client.get("/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi")
    named = api_client.get("/v1/schema?format=yaml")

    assert plain["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert plain.json()["openapi"].startswith("3.")
    for yaml in (asked, named):
        assert yaml["Content-Type"].startswith("application/vnd.oai.openapi")
        assert yaml.content.startswith(b"openapi: 3.")


def test_schema_generates_without_warnings_and_validates():
    out = io.StringIO()

    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out)

    assert "openapi:" in out.getvalue()


def test_swagger_ui_is_served(api_client):
    response = api_client.get("/docs")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_metrics_are_exposed(api_client):
    api_client.get("/healthz")

    response = api_client.get("/metrics")

    assert response.status_code == 200
    assert b"django_http_requests_total" in response.content
