"""`/v1/blocklist_items`: create, list, retrieve, delete; values normalized and checked;
audited; secret keys only."""

import pytest

from fraud.models import BlocklistItem
from gateway.audit import AuditLog

pytestmark = pytest.mark.django_db


def _create(client, kind: str, value: str):
    return client.post("/v1/blocklist_items", {"type": kind, "value": value}, format="json")


@pytest.mark.parametrize(
    "kind, given, stored",
    [
        ("email", "  Fraud@Example.COM ", "fraud@example.com"),
        ("ip_address", "2001:DB8:0:0::1", "2001:db8::1"),
        ("ip_address", "198.51.100.7", "198.51.100.7"),
        ("ip_address", "::ffff:198.51.100.7", "198.51.100.7"),  # IPv4, written as IPv6
        ("card_bin", "424242", "424242"),
        ("card_fingerprint", "ABCDEF0123456789", "abcdef0123456789"),
    ],
)
def test_create_normalizes_the_value(test_client, kind, given, stored):
    response = _create(test_client, kind, given)

    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("bli_")
    assert {k: body[k] for k in ("object", "type", "value", "livemode")} == {
        "object": "blocklist_item",
        "type": kind,
        "value": stored,
        "livemode": False,
    }
    assert isinstance(body["created"], int)


@pytest.mark.parametrize(
    "kind, value",
    [
        ("email", "not-an-email"),
        ("ip_address", "999.1.1.1"),
        ("card_bin", "4242"),
        ("card_bin", "42424242"),
        ("card_fingerprint", "has spaces in it"),
    ],
)
def test_malformed_values_are_refused(test_client, kind, value):
    response = _create(test_client, kind, value)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "value"
    assert not BlocklistItem.objects.exists()


def test_unknown_types_and_fields_are_refused(test_client):
    assert _create(test_client, "phone", "+1 555").status_code == 400
    response = test_client.post(
        "/v1/blocklist_items", {"type": "email", "value": "a@b.test", "x": 1}, format="json"
    )
    assert response.status_code == 400


def test_a_value_is_listed_once(test_client):
    assert _create(test_client, "email", "a@shop.test").status_code == 200

    again = _create(test_client, "email", "A@shop.test")

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "resource_already_exists"


def test_list_retrieve_and_delete(test_client):
    email = _create(test_client, "email", "a@shop.test").json()
    ip = _create(test_client, "ip_address", "192.0.2.1").json()

    listed = test_client.get("/v1/blocklist_items").json()
    only_ips = test_client.get("/v1/blocklist_items?type=ip_address").json()
    fetched = test_client.get(f"/v1/blocklist_items/{email['id']}").json()
    deleted = test_client.delete(f"/v1/blocklist_items/{email['id']}")

    assert [item["id"] for item in listed["data"]] == [ip["id"], email["id"]]
    assert [item["id"] for item in only_ips["data"]] == [ip["id"]]
    assert fetched == email
    assert deleted.json() == {"id": email["id"], "object": "blocklist_item", "deleted": True}
    assert test_client.get(f"/v1/blocklist_items/{email['id']}").status_code == 404
    actions = set(AuditLog.objects.values_list("action", "object_id"))
    assert {("blocklist_item.created", email["id"]), ("blocklist_item.deleted", email["id"])} <= (
        actions
    )


def test_modes_have_their_own_lists(test_client, client_for, keys):
    _create(test_client, "email", "a@shop.test")

    live = client_for(keys["live_secret"])

    assert live.get("/v1/blocklist_items").json()["data"] == []
    assert _create(live, "email", "a@shop.test").status_code == 200


def test_publishable_keys_cannot_touch_blocklists(client_for, keys):
    client = client_for(keys["test_publishable"])

    assert _create(client, "email", "a@shop.test").status_code == 403
    assert client.get("/v1/blocklist_items").status_code == 403
