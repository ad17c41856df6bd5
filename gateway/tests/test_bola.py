"""T17: no merchant reaches another merchant's objects, nor the other mode's.

The routes come from the URLconf: every /v1/ route with an object id is tried with
merchant B's key (and A's key of the other mode) on merchant A's object, and must
answer exactly as for an id that does not exist. A new route without an object
builder below fails the suite, so coverage keeps up with the API.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from merchants.services import merchant_create
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def object_routes() -> list[tuple[str, str]]:
    """(route, method) for every /v1/ route taking an object id, e.g.
    ("v1/payments/<str:pk>/capture", "post")."""
    return sorted(
        {
            (route, method)
            for route, pattern in _routes(get_resolver().url_patterns)
            if route.startswith("v1/") and "<" in route
            for method in getattr(pattern.callback, "actions", {"get": None})
            if method != "head"  # DRF answers HEAD with the GET handler
        }
    )


def _payment(client) -> str:
    return client.post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "payment_method_data": card_data()},
        format="json",
    ).json()["id"]


def _refund(client) -> str:
    payment = _payment(client)
    return client.post(f"/v1/payments/{payment}/refund", {"amount": 100}, format="json").json()[
        "id"
    ]


def _event(client) -> str:
    _payment(client)
    return client.get("/v1/events").json()["data"][0]["id"]


def _balance_transaction(client) -> str:
    _payment(client)
    return client.get("/v1/balance_transactions").json()["data"][0]["id"]


def _provider_account(client) -> str:
    response = client.post("/v1/provider_accounts", {"provider": "simulator"}, format="json")
    return response.json()["id"]


def _webhook_endpoint(client) -> str:
    return client.post(
        "/v1/webhook_endpoints",
        {"url": "http://127.0.0.1:9/bola", "enabled_events": ["*"]},
        format="json",
    ).json()["id"]


def _customer(client) -> str:
    return client.post("/v1/customers", {"email": "a@shop.test"}, format="json").json()["id"]


def _payment_method(client) -> str:
    customer = _customer(client)
    return client.post(
        "/v1/payment_methods", {**card_data(), "customer": customer}, format="json"
    ).json()["id"]


def _blocklist_item(client) -> str:
    return client.post(
        "/v1/blocklist_items", {"type": "email", "value": "fraudster@example.com"}, format="json"
    ).json()["id"]


# resource -> a builder making one of merchant A's objects
BUILDERS = {
    "blocklist_items": _blocklist_item,
    "customers": _customer,
    "payment_methods": _payment_method,
    "payments": _payment,
    "refunds": _refund,
    "events": _event,
    "balance_transactions": _balance_transaction,
    "provider_accounts": _provider_account,
    "webhook_endpoints": _webhook_endpoint,
}
# Payment methods are listed per customer; payments/tests/test_bola.py covers those.
LISTED = [
    "customers",
    "payments",
    "refunds",
    "events",
    "balance_transactions",
    "provider_accounts",
    "webhook_endpoints",
    "blocklist_items",
]


def _resource(route: str) -> str:
    return route.split("/")[1]


def _path(route: str, object_id: str) -> str:
    return "/" + re.sub(r"<[^>]+>", object_id, route)


@pytest.fixture
def clients(client_for, keys):
    _, issued = merchant_create(name="Intruder", email="b@intruder.test", actor="test")
    return {
        "owner": client_for(keys["test_secret"]),
        "other merchant": client_for(issued["test_secret"].plaintext),
        "other mode": client_for(keys["live_secret"]),
    }


def test_every_object_route_has_a_bola_case():
    missing = {_resource(route) for route, _ in object_routes()} - set(BUILDERS)

    assert missing == set(), f"add a builder for {missing} to BUILDERS"


@pytest.mark.parametrize("route, method", object_routes())
def test_another_merchant_or_mode_gets_the_same_404_as_a_missing_id(clients, route, method):
    # given one of A's objects
    object_id = BUILDERS[_resource(route)](clients["owner"])
    missing_id = object_id[:-6] + "zzzzzz"
    detail = _path("/".join(route.split("/")[:3]), object_id)
    before = clients["owner"].get(detail).json()

    for intruder in ("other merchant", "other mode"):
        client = clients[intruder]
        # when
        response = getattr(client, method)(_path(route, object_id), {}, format="json")
        missing = getattr(client, method)(_path(route, missing_id), {}, format="json")
        # then
        assert response.status_code == 404, (intruder, route, response.json())
        assert response.json() == _with_id(missing.json(), missing_id, object_id)

    # and A's object is exactly as it was
    assert clients["owner"].get(detail).json() == before


def _with_id(body: dict, old: str, new: str) -> dict:
    error = dict(body["error"])
    error["message"] = error["message"].replace(old, new)
    return {"error": error}


@pytest.mark.parametrize("resource", LISTED)
def test_lists_never_show_another_merchants_objects(clients, resource):
    object_id = BUILDERS[resource](clients["owner"])
    list_path = f"/v1/{resource}"

    for intruder in ("other merchant", "other mode"):
        listed = clients[intruder].get(f"{list_path}?limit=100").json()["data"]
        assert object_id not in {item["id"] for item in listed}
    owner_listed = clients["owner"].get(f"{list_path}?limit=100").json()["data"]
    assert object_id in {item["id"] for item in owner_listed}
