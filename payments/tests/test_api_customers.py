from datetime import UTC, datetime

import pytest
import time_machine

from gateway.events import Event
from payments import vault
from payments.models import Customer
from payments.tests.factories import CustomerFactory, PaymentMethodFactory
from payments.tests.helpers import database_cells

pytestmark = pytest.mark.django_db

CUSTOMER_KEYS = {
    "id",
    "object",
    "email",
    "name",
    "phone",
    "description",
    "metadata",
    "default_payment_method",
    "livemode",
    "created",
}


def _id(obj) -> str:
    return obj.id


def _row(customer_id: str) -> dict:
    """Every column of the row, ciphertext as bytes: to prove a row did not change."""
    row = Customer.objects.filter(pk=customer_id).values().get()
    row["pii_ciphertext"] = bytes(row["pii_ciphertext"])
    return row


def test_create_customer_returns_the_stripe_shape(test_client, merchant):
    # when
    response = test_client.post(
        "/v1/customers",
        {
            "email": "jenny.rosen@example.com",
            "name": "Jenny Rosen",
            "phone": "+1 555 555 0199",
            "description": "VIP",
            "metadata": {"order_id": "6735"},
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == CUSTOMER_KEYS
    assert body["id"].startswith("cus_")
    assert isinstance(body["created"], int)
    assert {k: v for k, v in body.items() if k not in ("id", "created")} == {
        "object": "customer",
        "email": "jenny.rosen@example.com",
        "name": "Jenny Rosen",
        "phone": "+1 555 555 0199",
        "description": "VIP",
        "metadata": {"order_id": "6735"},
        "default_payment_method": None,
        "livemode": False,
    }
    customer = Customer.objects.get(pk=body["id"])
    assert (customer.merchant_id, customer.livemode) == (merchant.id, False)


def test_create_customer_with_no_fields_renders_them_as_null(test_client):
    response = test_client.post("/v1/customers", {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [body[k] for k in ("email", "name", "phone", "description")] == [None] * 4
    assert body["metadata"] == {}


def test_create_customer_emits_customer_created_without_pii(test_client):
    # when
    body = test_client.post(
        "/v1/customers", {"email": "jenny@example.com", "name": "Jenny"}, format="json"
    ).json()

    # then
    event = Event.objects.get(object_id=body["id"])
    assert event.type == "customer.created"
    assert event.livemode is False
    snapshot = event.data["object"]
    assert snapshot == {**body, "email": None, "name": None}


def test_customer_pii_is_not_stored_in_clear(test_client):
    # given
    email, name, phone = "pii.marker.7c1f@example.com", "Zebulon Quaxworth", "+4479460123"

    # when
    response = test_client.post(
        "/v1/customers", {"email": email, "name": name, "phone": phone}, format="json"
    )
    test_client.post(
        f"/v1/customers/{response.json()['id']}", {"description": "updated"}, format="json"
    )

    # then
    assert response.status_code == 200
    for table, column, value in database_cells():
        for secret in (email, "pii.marker.7c1f", name, "Quaxworth", phone):
            assert secret not in value, f"{secret!r} in clear in {table}.{column}"


def test_live_key_creates_live_customers(live_client):
    response = live_client.post("/v1/customers", {"name": "Live"}, format="json")

    assert response.status_code == 200
    assert response.json()["livemode"] is True


@pytest.mark.parametrize(
    "body, param, code",
    [
        ({"email": "not-an-email"}, "email", "parameter_invalid"),
        ({"email": "a@" + "b" * 510 + ".com"}, "email", "parameter_invalid_string"),
        ({"name": "n" * 257}, "name", "parameter_invalid_string"),
        ({"phone": "1" * 21}, "phone", "parameter_invalid_string"),
        ({"phone": " " + "1" * 20}, "phone", "parameter_invalid_string"),  # maxLength counts it
        ({"description": "d" * 501}, "description", "parameter_invalid_string"),
        ({"description": 0}, "description", "parameter_invalid"),
        ({"phone": 5551234}, "phone", "parameter_invalid"),
        ({"metadata": {"key": 1}}, "metadata", "parameter_invalid"),
        ({"metadata": "x"}, "metadata", "parameter_invalid"),
        ({"name": "nul\x00byte"}, "name", "parameter_invalid"),
        ({"status": "active"}, "status", "parameter_unknown"),
        ({"livemode": True}, "livemode", "parameter_unknown"),
        ({"id": "cus_mine"}, "id", "parameter_unknown"),
        ({"created": 1}, "created", "parameter_unknown"),
        ({"merchant": "mer_x"}, "merchant", "parameter_unknown"),
    ],
)
def test_create_customer_refuses_invalid_and_unknown_fields(test_client, body, param, code):
    # when
    response = test_client.post("/v1/customers", body, format="json")

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert error["code"] == code
    assert not Customer.objects.exists()
    assert not Event.objects.exists()


def test_retrieve_customer(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant, email="r@example.com", name="R", phone="")

    # when
    response = test_client.get(f"/v1/customers/{customer.id}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CUSTOMER_KEYS
    assert (body["id"], body["email"], body["name"], body["phone"]) == (
        customer.id,
        "r@example.com",
        "R",
        None,
    )
    assert body["created"] == int(customer.created_at.timestamp())


def test_retrieve_missing_customer_is_404(test_client):
    response = test_client.get("/v1/customers/cus_missing")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such customer: 'cus_missing'",
            "param": "id",
        }
    }


def test_list_customers_newest_first_with_cursor(test_client, merchant):
    # given
    # Ids sort by creation time (to the millisecond): the API's order is the ids' order.
    customers = sorted((CustomerFactory(merchant=merchant) for _ in range(3)), key=_id)
    CustomerFactory(merchant=merchant, livemode=True)

    # when
    first = test_client.get("/v1/customers?limit=2").json()
    second = test_client.get(f"/v1/customers?limit=2&starting_after={first['data'][-1]['id']}")

    # then
    assert first["object"] == "list"
    assert first["url"] == "/v1/customers"
    assert [c["id"] for c in first["data"]] == [customers[2].id, customers[1].id]
    assert first["has_more"] is True
    assert set(first["data"][0]) == CUSTOMER_KEYS
    assert first["data"][0]["email"] == vault.customer_pii(customers[2])["email"]
    assert [c["id"] for c in second.json()["data"]] == [customers[0].id]
    assert second.json()["has_more"] is False


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "name=Ann", "email="])
def test_list_customers_refuses_bad_query_parameters(test_client, query):
    response = test_client.get(f"/v1/customers?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["param"] == query.partition("=")[0]


def test_list_customers_by_email(test_client, merchant, client_for, keys):
    # given: two with the address, one with another, one without; another merchant's
    ann = [CustomerFactory(merchant=merchant, email="ann@example.com") for _ in range(2)]
    CustomerFactory(merchant=merchant, email="bob@example.com")
    CustomerFactory(merchant=merchant, email="")
    CustomerFactory(email="ann@example.com")

    # when
    found = test_client.get("/v1/customers", {"email": "ann@example.com"}).json()

    # then
    assert [c["id"] for c in found["data"]] == sorted((c.id for c in ann), reverse=True)
    assert {c["email"] for c in found["data"]} == {"ann@example.com"}
    for other in ("ANN@example.com", "ann@example.co", " ann@example.com"):  # exact, as Stripe
        assert test_client.get("/v1/customers", {"email": other}).json()["data"] == []
    live = client_for(keys["live_secret"]).get("/v1/customers", {"email": "ann@example.com"})
    assert live.json()["data"] == []


def test_an_updated_email_is_found_under_the_new_one_only(test_client, merchant):
    customer = CustomerFactory(merchant=merchant, email="old@example.com")

    test_client.post(f"/v1/customers/{customer.id}", {"email": "new@example.com"}, "json")

    found = test_client.get("/v1/customers", {"email": "new@example.com"}).json()["data"]
    assert [c["id"] for c in found] == [customer.id]
    assert test_client.get("/v1/customers", {"email": "old@example.com"}).json()["data"] == []


def test_update_customer_changes_only_given_fields(test_client, merchant):
    # given
    customer = CustomerFactory(
        merchant=merchant, email="old@example.com", name="Old", phone="+1 555", metadata={"a": "1"}
    )

    # when
    response = test_client.post(
        f"/v1/customers/{customer.id}",
        {"email": "new@example.com", "phone": None, "metadata": {"b": "2"}},
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["email"], body["name"], body["phone"]) == ("new@example.com", "Old", None)
    assert body["metadata"] == {"a": "1", "b": "2"}
    event = Event.objects.get(object_id=customer.id, type="customer.updated")
    assert event.type == "customer.updated"
    assert event.data["object"] == {**body, "email": None, "name": None, "phone": None}
    # as Stripe's: what changed, as it was (the PII stays out of events)
    assert event.data["previous_attributes"] == {"metadata": {"a": "1"}}


def test_update_customer_metadata_follows_stripe_unset_rules(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant, metadata={"a": "1", "b": "2"})
    url = f"/v1/customers/{customer.id}"

    # when
    one_key_removed = test_client.post(url, {"metadata": {"a": ""}}, format="json").json()
    all_removed = test_client.post(url, {"metadata": None}, format="json").json()
    test_client.post(url, {"metadata": {"c": "3"}}, format="json")
    emptied = test_client.post(url, {"metadata": ""}, format="json").json()

    # then
    assert one_key_removed["metadata"] == {"b": "2"}
    assert all_removed["metadata"] == emptied["metadata"] == {}


def test_update_customer_refuses_more_than_50_metadata_keys_after_merge(test_client, merchant):
    customer = CustomerFactory(merchant=merchant, metadata={f"k{i}": "v" for i in range(30)})

    response = test_client.post(
        f"/v1/customers/{customer.id}",
        {"metadata": {f"n{i}": "v" for i in range(30)}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata"
    customer.refresh_from_db()
    assert len(customer.metadata) == 30


def test_update_without_changes_emits_no_event(test_client, merchant):
    customer = CustomerFactory(merchant=merchant, name="Same")

    response = test_client.post(f"/v1/customers/{customer.id}", {"name": "Same"}, format="json")

    assert response.status_code == 200
    assert list(Event.objects.filter(object_id=customer.id).values_list("type", flat=True)) == [
        "customer.created"
    ]


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "deleted"),
        ("livemode", True),
        ("id", "cus_other"),
        ("created", 1),
        ("merchant", "mer_other"),
    ],
)
def test_update_customer_refuses_unknown_fields_and_leaves_the_row_unchanged(
    test_client, merchant, field, value
):
    # given
    customer = CustomerFactory(merchant=merchant, name="Before")
    before = _row(customer.id)

    # when
    response = test_client.post(
        f"/v1/customers/{customer.id}", {"name": "After", field: value}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"
    assert response.json()["error"]["param"] == field
    assert _row(customer.id) == before


def test_put_and_patch_are_not_routes(test_client, merchant):
    customer = CustomerFactory(merchant=merchant)

    for method in (test_client.put, test_client.patch):
        response = method(f"/v1/customers/{customer.id}", {"name": "x"}, format="json")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"


def test_set_and_clear_the_default_payment_method(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    url = f"/v1/customers/{customer.id}"

    # when
    set_default = test_client.post(
        url, {"default_payment_method": payment_method.id}, format="json"
    )
    cleared = test_client.post(url, {"default_payment_method": None}, format="json")

    # then
    assert set_default.status_code == 200
    assert set_default.json()["default_payment_method"] == payment_method.id
    assert cleared.json()["default_payment_method"] is None
    customer.refresh_from_db()
    assert customer.default_payment_method is None


def test_default_payment_method_must_be_attached_to_the_customer(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    someone_else = CustomerFactory(merchant=merchant)
    unattached = PaymentMethodFactory(merchant=merchant)
    attached_elsewhere = PaymentMethodFactory(customer=someone_else)

    for payment_method in (unattached, attached_elsewhere):
        # when
        response = test_client.post(
            f"/v1/customers/{customer.id}",
            {"default_payment_method": payment_method.id},
            format="json",
        )

        # then
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("resource_missing", "default_payment_method")
    customer.refresh_from_db()
    assert customer.default_payment_method is None


def test_default_payment_method_of_another_merchant_reads_as_missing(
    test_client, merchant, other_merchant
):
    # given
    customer = CustomerFactory(merchant=merchant)
    foreign = PaymentMethodFactory(merchant=other_merchant)
    url = f"/v1/customers/{customer.id}"

    # when
    foreign_response = test_client.post(url, {"default_payment_method": foreign.id}, format="json")
    missing_response = test_client.post(
        url, {"default_payment_method": "pm_missing"}, format="json"
    )

    # then
    assert foreign_response.status_code == missing_response.status_code == 400
    assert foreign_response.json() == _with_id(missing_response.json(), "pm_missing", foreign.id)


def _with_id(body: dict, old: str, new: str) -> dict:
    error = dict(body["error"])
    error["message"] = error["message"].replace(old, new)
    return {"error": error}


def test_customer_payment_methods_lists_only_that_customers(test_client, merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    # Ids sort by creation time (to the millisecond): the API's order is the ids' order.
    mine = sorted((PaymentMethodFactory(customer=customer) for _ in range(2)), key=_id)
    PaymentMethodFactory(customer=CustomerFactory(merchant=merchant))
    PaymentMethodFactory(merchant=merchant)

    # when
    response = test_client.get(f"/v1/customers/{customer.id}/payment_methods?type=card")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == f"/v1/customers/{customer.id}/payment_methods"
    assert [pm["id"] for pm in body["data"]] == [mine[1].id, mine[0].id]
    assert body["has_more"] is False


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("/v1/customers", "limit=abc", "parameter_invalid_integer"),
        ("/v1/customers", "limit=", "parameter_invalid_empty"),
        ("/v1/customers", "limit=0", "parameter_invalid_integer"),
        ("/v1/customers", "phone=555", "parameter_unknown"),
        ("/v1/customers", "email=", "parameter_invalid_empty"),
        ("/v1/customers/{customer}/payment_methods", "limit=abc", "parameter_invalid_integer"),
        ("/v1/customers/{customer}/payment_methods", "type=", "parameter_invalid_empty"),
        ("/v1/payment_methods", "customer={customer}&limit=101", "parameter_invalid_integer"),
        ("/v1/payment_methods", "customer=", "parameter_invalid_empty"),
    ],
)
def test_list_parameters_are_refused_as_every_list_refuses_them(test_client, path, query, code):
    customer = test_client.post("/v1/customers", {}, format="json").json()["id"]

    response = test_client.get(f"{path}?{query}".format(customer=customer))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_customers_are_listed_by_creation_time(test_client):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        old = test_client.post("/v1/customers", {}, format="json").json()
    recent = test_client.post("/v1/customers", {}, format="json").json()

    listed = test_client.get(f"/v1/customers?created[gt]={old['created']}").json()["data"]

    assert [customer["id"] for customer in listed] == [recent["id"]]


def test_the_risk_context_of_a_payment_is_not_stored_in_clear(pay):
    # given: what a merchant tells fraud screening about its customer
    email, device = "risk.marker.5e2a@example.com", "device-marker-91c3"

    # when: a payment carries it, confirmed at once and confirmed later
    pay(risk_context={"email": email, "device_id": device})
    pay(confirm=False, risk_context={"email": email, "device_id": device})

    # then: the e-mail nowhere (the assessment keeps it masked), the device only in the
    # assessment support reviews
    for table, column, value in database_cells():
        for secret in (email, "risk.marker.5e2a", device):
            if secret != device or table != "fraud_assessment":
                assert secret not in value, f"{secret!r} in clear in {table}.{column}"
