"""`/v1/provider_accounts`: credentials sealed and never returned, per merchant and mode."""

import json

import pytest
from django.db import transaction

from gateway.audit import AuditLog
from merchants.services import merchant_create
from payments import vault
from payments.models import Payment, ProviderAccount
from payments.services.operations import operation_call, operation_reserve
from payments.tests.conftest import stripe_credentials

pytestmark = pytest.mark.django_db


def test_an_account_is_created_with_its_credentials_sealed_and_never_shown(
    test_client, add_account
):
    account_id, credentials = add_account(
        "stripe", priority=3, currencies=["EUR", "usd"], card_brands=["visa"], max_amount=5000
    )

    shown = test_client.get(f"/v1/provider_accounts/{account_id}")
    listed = test_client.get("/v1/provider_accounts")

    body = shown.json()
    assert body == {
        "id": account_id,
        "object": "provider_account",
        "provider": "stripe",
        "livemode": False,
        "priority": 3,
        "currencies": ["eur", "usd"],
        "card_brands": ["visa"],
        "min_amount": None,
        "max_amount": 5000,
        "api_base": None,
        "status": "active",
        "webhook_url": f"http://127.0.0.1:8000/webhooks/stripe/{account_id}",
        "created": body["created"],
    }
    assert [a["id"] for a in listed.json()["data"]] == [account_id]
    row = ProviderAccount.objects.get(pk=account_id)
    for secret in credentials.values():
        assert secret not in shown.content.decode() + listed.content.decode()
        assert secret.encode() not in bytes(row.credentials_ciphertext)
    assert vault.provider_credentials(row) == credentials
    audit = AuditLog.objects.get(object_id=account_id, action="provider_account.create")
    assert audit.actor.startswith("api:sk_test_")  # the key, by its public prefix


def test_deleting_stops_routing_and_hides_the_account(test_client, add_account, pay):
    account_id, _ = add_account("simulator")

    deleted = test_client.delete(f"/v1/provider_accounts/{account_id}")
    payment = Payment.objects.get(pk=pay().json()["id"])

    assert deleted.json() == {"id": account_id, "object": "provider_account", "deleted": True}
    assert test_client.get(f"/v1/provider_accounts/{account_id}").status_code == 404
    assert test_client.get("/v1/provider_accounts").json()["data"] == []
    assert test_client.delete(f"/v1/provider_accounts/{account_id}").status_code == 404
    assert ProviderAccount.objects.get(pk=account_id).status == "deleted"
    assert payment.provider_account_id is None  # back to the built-in simulator


def test_another_merchant_cannot_delete_it(add_account, client_for):
    account_id, _ = add_account("simulator")
    _, issued = merchant_create(name="Other", email="o@other.test", actor="test")

    response = client_for(issued["test_secret"].plaintext).delete(
        f"/v1/provider_accounts/{account_id}"
    )

    assert response.status_code == 404
    assert ProviderAccount.objects.get(pk=account_id).status == "active"


@pytest.mark.parametrize(
    "body, param",
    [
        ({"provider": "stripe", "credentials": {}}, "credentials[secret_key]"),
        (
            {"provider": "stripe", "credentials": {"secret_key": "sk_live_abcdef0123456789"}},
            "credentials[secret_key]",
        ),
        (
            {"provider": "stripe", "credentials": {"secret_key": "sk_test_x", "other": "y"}},
            "credentials[other]",
        ),
        (
            {
                "provider": "stripe",
                "credentials": {"secret_key": "sk_test_x", "webhook_secret": "x"},
            },
            "credentials[webhook_secret]",
        ),
        ({"provider": "paypal", "credentials": {"client_id": "a"}}, "credentials[client_secret]"),
        ({"provider": "simulator", "min_amount": 500, "max_amount": 100}, "min_amount"),
        ({"provider": "simulator", "currencies": ["xxx"]}, "currencies[0]"),
        ({"provider": "bank"}, "provider"),
    ],
)
def test_bad_accounts_are_refused(test_client, body, param):
    response = test_client.post("/v1/provider_accounts", body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["param"] == param
    assert ProviderAccount.objects.count() == 0


def test_api_base_only_when_the_gateway_allows_it(test_client, settings):
    settings.PROVIDER_ALLOW_API_BASE = False
    body = {
        "provider": "stripe",
        "credentials": stripe_credentials(),
        "api_base": "http://127.0.0.1:9/",
    }

    response = test_client.post("/v1/provider_accounts", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "api_base"


def test_live_mode_takes_live_keys_and_no_simulator(client_for, keys):
    live = client_for(keys["live_secret"])

    simulator = live.post("/v1/provider_accounts", {"provider": "simulator"}, format="json")
    stripe_live = live.post(
        "/v1/provider_accounts",
        {"provider": "stripe", "credentials": stripe_credentials(livemode=True)},
        format="json",
    )

    assert simulator.status_code == 400
    assert stripe_live.status_code == 200
    assert stripe_live.json()["livemode"] is True
    assert json.dumps(stripe_live.json()).count("sk_live_") == 0


def test_no_provider_call_runs_inside_a_transaction(pay):
    payment = Payment.objects.get(pk=pay(capture_method="manual").json()["id"])
    with transaction.atomic():
        operation = operation_reserve(payment=payment, kind="capture", amount_minor=100)

    with (
        pytest.raises(RuntimeError, match="inside a database transaction"),
        transaction.atomic(),
    ):
        operation_call(operation)
