"""`/v1/webhook_endpoints` and `POST /v1/events/{id}/resend`."""

import pytest
import time_machine
from django.utils import timezone

from gateway.audit import AuditLog
from gateway.crypto import unseal
from webhooks.event_types import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.selectors import endpoint_secrets

pytestmark = pytest.mark.django_db


def _create(client, **body):
    body.setdefault("url", "http://127.0.0.1:9/hooks")
    body.setdefault("enabled_events", ["payment.captured"])
    return client.post("/v1/webhook_endpoints", body, format="json")


def test_create_returns_the_endpoint_and_its_secret_once(test_client):
    response = _create(test_client, description="orders")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"].startswith("we_")
    assert body["object"] == "webhook_endpoint"
    assert body["secret"].startswith("whsec_")
    assert body["status"] == "enabled"
    assert body["livemode"] is False
    assert body["enabled_events"] == ["payment.captured"]
    assert body["description"] == "orders"
    assert isinstance(body["created"], int)
    fetched = test_client.get(f"/v1/webhook_endpoints/{body['id']}").json()
    assert "secret" not in fetched
    assert fetched == {key: value for key, value in body.items() if key != "secret"}


def test_the_secret_is_sealed_at_rest_and_bound_to_its_row(test_client):
    body = _create(test_client).json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])

    assert body["secret"].encode() not in bytes(endpoint.secret_ciphertext)
    assert unseal(endpoint.secret_ciphertext, aad=endpoint.aad).decode() == body["secret"]
    assert AuditLog.objects.filter(action="webhook_endpoint.created", object_id=body["id"]).exists()


@pytest.mark.parametrize(
    "events, code",
    [
        (["*"], None),
        (list(EVENT_TYPES), None),
        (["payment.captured", "payment.captured"], None),
        (["payment.exploded"], "parameter_invalid"),
        ([], "parameter_invalid_empty"),
        (["*", "payment.captured"], "parameter_invalid"),
        ("payment.captured", "parameter_invalid"),
        ([1], "parameter_invalid"),
    ],
)
def test_enabled_events_are_checked_against_the_catalogue(test_client, events, code):
    response = _create(test_client, enabled_events=events)

    assert (response.status_code == 200) is (code is None), response.json()
    if code is not None:
        assert response.json()["error"]["param"].startswith("enabled_events")
        assert response.json()["error"]["code"] == code


def test_unknown_parameters_are_refused(test_client):
    response = _create(test_client, status="disabled")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"


def test_list_is_newest_first_and_per_mode(test_client, client_for, keys):
    first = _create(test_client).json()["id"]
    second = _create(test_client).json()["id"]

    listed = test_client.get("/v1/webhook_endpoints").json()
    live = client_for(keys["live_secret"]).get("/v1/webhook_endpoints").json()

    assert [item["id"] for item in listed["data"]] == [second, first]
    assert listed["object"] == "list"
    assert listed["has_more"] is False
    assert live["data"] == []


def test_update_changes_url_events_description_and_disabled(test_client):
    endpoint_id = _create(test_client).json()["id"]

    response = test_client.post(
        f"/v1/webhook_endpoints/{endpoint_id}",
        {
            "url": "http://localhost:9/new",
            "enabled_events": ["*"],
            "description": "all",
            "disabled": True,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["url"] == "http://localhost:9/new"
    assert response.json()["enabled_events"] == ["*"]
    assert response.json()["description"] == "all"
    assert response.json()["status"] == "disabled"
    enabled = test_client.post(
        f"/v1/webhook_endpoints/{endpoint_id}", {"disabled": False}, format="json"
    )
    assert enabled.json()["status"] == "enabled"


@pytest.mark.parametrize("value", ["yes", "true", 1])
def test_disabled_is_json_true_or_false_only(test_client, value):
    endpoint_id = _create(test_client).json()["id"]

    response = test_client.post(
        f"/v1/webhook_endpoints/{endpoint_id}", {"disabled": value}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "disabled"
    assert test_client.get(f"/v1/webhook_endpoints/{endpoint_id}").json()["status"] == "enabled"


def test_update_checks_the_new_url(test_client):
    endpoint_id = _create(test_client).json()["id"]

    response = test_client.post(
        f"/v1/webhook_endpoints/{endpoint_id}", {"url": "http://10.0.0.1/"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "url"
    assert WebhookEndpoint.objects.get(pk=endpoint_id).url == "http://127.0.0.1:9/hooks"


def test_delete_hides_the_endpoint(test_client):
    endpoint_id = _create(test_client).json()["id"]

    response = test_client.delete(f"/v1/webhook_endpoints/{endpoint_id}")

    assert response.json() == {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}
    assert test_client.get(f"/v1/webhook_endpoints/{endpoint_id}").status_code == 404
    assert test_client.get("/v1/webhook_endpoints").json()["data"] == []


def test_rotate_secret_keeps_the_old_one_signing_for_24_hours(test_client):
    created = _create(test_client).json()

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        rotated = test_client.post(f"/v1/webhook_endpoints/{created['id']}/rotate_secret")
        endpoint = WebhookEndpoint.objects.get(pk=created["id"])

        assert rotated.status_code == 200, rotated.json()
        assert rotated.json()["secret"] not in (None, created["secret"])
        assert endpoint_secrets(endpoint) == [rotated.json()["secret"], created["secret"]]
        traveller.shift(24 * 3600 + 1)
        assert endpoint_secrets(endpoint) == [rotated.json()["secret"]]


def test_every_secret_rotated_away_signs_for_its_own_24_hours(test_client):
    created = _create(test_client).json()
    rotate = f"/v1/webhook_endpoints/{created['id']}/rotate_secret"

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        first = test_client.post(rotate).json()["secret"]
        traveller.shift(3600)
        second = test_client.post(rotate).json()["secret"]
        endpoint = WebhookEndpoint.objects.get(pk=created["id"])

        assert endpoint_secrets(endpoint) == [second, first, created["secret"]]
        traveller.shift(23 * 3600 + 1)  # the creation secret's 24 hours are over
        assert endpoint_secrets(endpoint) == [second, first]
        traveller.shift(3600)
        assert endpoint_secrets(endpoint) == [second]
        test_client.post(rotate)  # drops the rows that stopped signing
        assert endpoint.retired_secrets.count() == 1


def test_rotate_secret_takes_no_parameters(test_client):
    endpoint_id = _create(test_client).json()["id"]

    response = test_client.post(
        f"/v1/webhook_endpoints/{endpoint_id}/rotate_secret", {"secret": "mine"}, format="json"
    )

    assert response.status_code == 400


def test_resend_targets_subscribed_endpoints_or_one(test_client, emit, merchant):
    captured = _create(test_client, enabled_events=["payment.captured"]).json()["id"]
    everything = _create(test_client, enabled_events=["*"]).json()["id"]
    _create(test_client, enabled_events=["refund.created"])
    event = emit("payment.captured")

    to_all = test_client.post(f"/v1/events/{event.id}/resend", format="json")
    to_one = test_client.post(
        f"/v1/events/{event.id}/resend", {"endpoint": captured}, format="json"
    )

    assert to_all.status_code == 200, to_all.json()
    assert to_all.json()["object"] == "event_resend"
    assert sorted(to_all.json()["webhook_endpoints"]) == sorted([captured, everything])
    assert to_one.json()["webhook_endpoints"] == [captured]
    assert WebhookDelivery.objects.filter(event=event).count() == 2


def test_resend_refuses_an_endpoint_not_subscribed_or_unknown(test_client, emit):
    refunds = _create(test_client, enabled_events=["refund.created"]).json()["id"]
    event = emit("payment.captured")

    not_subscribed = test_client.post(
        f"/v1/events/{event.id}/resend", {"endpoint": refunds}, format="json"
    )
    unknown = test_client.post(
        f"/v1/events/{event.id}/resend", {"endpoint": "we_nothere"}, format="json"
    )

    assert not_subscribed.status_code == 400
    assert not_subscribed.json()["error"]["code"] == "endpoint_not_subscribed"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["param"] == "endpoint"


def test_resend_to_a_disabled_endpoint_says_it_is_disabled(test_client, emit):
    endpoint = _create(test_client, enabled_events=["*"]).json()["id"]
    test_client.post(f"/v1/webhook_endpoints/{endpoint}", {"disabled": True}, format="json")
    event = emit("payment.captured")

    response = test_client.post(
        f"/v1/events/{event.id}/resend", {"endpoint": endpoint}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "endpoint_disabled"
    assert "is disabled" in response.json()["error"]["message"]


def test_publishable_keys_cannot_manage_endpoints(client_for, keys):
    response = _create(client_for(keys["test_publishable"]))

    assert response.status_code == 403


def test_a_merchant_has_at_most_the_endpoints_allowed_in_a_mode(settings, test_client):
    settings.WEBHOOK_ENDPOINTS_MAX = 2
    first, _ = _create(test_client).json(), _create(test_client)

    refused = _create(test_client)
    test_client.delete(f"/v1/webhook_endpoints/{first['id']}")
    after_a_deletion = _create(test_client)

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "webhook_endpoints_limit_reached"
    assert after_a_deletion.status_code == 200
    assert WebhookEndpoint.objects.filter(livemode=False, deleted_at__isnull=True).count() == 2
