"""T17 for the vault: foreign ids inside request bodies and per-customer lists.

Every route with an object id in its path is covered by gateway/tests/test_bola.py.
"""

import pytest

from gateway.ids import new_id
from payments.models import Customer, PaymentMethod
from payments.services.customers import customer_update
from payments.tests.factories import CustomerFactory, PaymentMethodFactory
from payments.tests.helpers import card_body

pytestmark = pytest.mark.django_db

# (route name, HTTP method) -> (prefix of the id in the path, path suffix, body)
CASES = {
    ("customer-detail", "get"): ("cus", "", None),
    ("customer-detail", "post"): ("cus", "", {"name": "Mallory"}),
    ("customer-payment-methods", "get"): ("cus", "/payment_methods", None),
    ("payment-method-detail", "get"): ("pm", "", None),
    ("payment-method-attach", "post"): ("pm", "/attach", "own-customer"),
    ("payment-method-detach", "post"): ("pm", "/detach", {}),
}
COLLECTIONS = {"cus": "/v1/customers", "pm": "/v1/payment_methods"}


@pytest.fixture
def objects_of_a(merchant):
    """Merchant A's test-mode customer with an attached (default) payment method."""
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    customer_update(customer=customer, default_payment_method=payment_method)
    return {"cus": customer.id, "pm": payment_method.id}


def _snapshot():
    customers = list(Customer.objects.order_by("pk").values())
    payment_methods = list(PaymentMethod.objects.order_by("pk").values())
    for row in customers:
        row["pii_ciphertext"] = bytes(row["pii_ciphertext"])
    for row in payment_methods:
        row["card_ciphertext"] = bytes(row["card_ciphertext"])
        row["billing_ciphertext"] = bytes(row["billing_ciphertext"])
    return customers, payment_methods


def _request(client, method, url, body):
    if method == "get":
        return client.get(url)
    return client.post(url, body, format="json")


def _body_with_id(response, object_id: str, placeholder: str = "<id>") -> dict:
    body = response.json()
    body["error"]["message"] = body["error"]["message"].replace(object_id, placeholder)
    return body


@pytest.mark.parametrize("intruder", ["other_merchant", "other_mode"])
def test_ids_of_foreign_objects_in_bodies_read_like_missing_ones(
    intruder, objects_of_a, client_for, keys, other_merchant_with_keys
):
    # given
    if intruder == "other_merchant":
        owner, other_keys = other_merchant_with_keys
        client, livemode = client_for(other_keys["test_secret"]), False
    else:
        owner = Customer.objects.get(pk=objects_of_a["cus"]).merchant
        client, livemode = client_for(keys["live_secret"]), True
    own_customer = CustomerFactory(merchant=owner, livemode=livemode)
    own_payment_method = PaymentMethodFactory(merchant=owner, livemode=livemode)
    requests = [
        # (url, body with {id}, id prefix)
        ("/v1/payment_methods", {**card_body(), "customer": "{id}"}, "cus"),
        (f"/v1/payment_methods/{own_payment_method.id}/attach", {"customer": "{id}"}, "cus"),
        (f"/v1/customers/{own_customer.id}", {"default_payment_method": "{id}"}, "pm"),
        ("/v1/payment_methods?customer={id}", None, "cus"),
    ]
    before = _snapshot()

    for url, body, prefix in requests:
        foreign_id, missing_id = objects_of_a[prefix], new_id(prefix)
        responses = []
        for object_id in (foreign_id, missing_id):
            filled = {
                k: v.replace("{id}", object_id) if isinstance(v, str) else v
                for k, v in (body or {}).items()
            }
            method = "post" if body is not None else "get"
            responses.append(_request(client, method, url.replace("{id}", object_id), filled))

        # then
        foreign, missing = responses
        assert foreign.status_code == missing.status_code == 400, url
        assert _body_with_id(foreign, foreign_id) == _body_with_id(missing, missing_id)
        assert foreign.json()["error"]["code"] == "resource_missing"
    assert _snapshot()[0] == before[0]
    assert len(_snapshot()[1]) == len(before[1])  # nothing tokenized on those failures


def test_lists_never_show_another_merchants_or_modes_objects(
    objects_of_a, test_client, client_for, keys, other_merchant_with_keys
):
    # given
    other_client = client_for(other_merchant_with_keys[1]["test_secret"])
    live_client = client_for(keys["live_secret"])
    own_customer = CustomerFactory(merchant=other_merchant_with_keys[0])

    # when
    listings = [
        other_client.get("/v1/customers?limit=100").json(),
        live_client.get("/v1/customers?limit=100").json(),
        other_client.get(f"/v1/customers/{own_customer.id}/payment_methods").json(),
        other_client.get(f"/v1/payment_methods?customer={own_customer.id}").json(),
    ]

    # then
    for listing in listings:
        ids = {item["id"] for item in listing["data"]}
        assert not ids & set(objects_of_a.values())
    assert [c["id"] for c in listings[0]["data"]] == [own_customer.id]
    assert listings[1]["data"] == []
    assert {c["id"] for c in test_client.get("/v1/customers").json()["data"]} == {
        objects_of_a["cus"]
    }


def test_a_cursor_from_another_merchant_reveals_nothing(objects_of_a, other_client):
    theirs = other_client.get(f"/v1/customers?starting_after={objects_of_a['cus']}")
    made_up = other_client.get("/v1/customers?starting_after=cus_01jd000000000000000000000a")

    # the same answer as for an id that never existed
    for response, cursor in (
        (theirs, objects_of_a["cus"]),
        (made_up, "cus_01jd000000000000000000000a"),
    ):
        assert response.status_code == 400
        assert response.json()["error"] == {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": "starting_after",
            "message": f"No such object for starting_after: '{cursor}'",
        }
