"""The outbox: each state change writes its event in the change's own transaction."""

import pytest
from django.db import transaction

from gateway.events import Event, event_emit
from payments.models import Payment
from payments.services import payments as payment_services
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


def _types(payment_id: str) -> list[str]:
    return list(
        Event.objects.filter(object_id=payment_id).order_by("id").values_list("type", flat=True)
    )


def test_each_state_change_has_exactly_one_event(pay, test_client):
    payment_id = pay(capture_method="manual").json()["id"]
    test_client.post(f"/v1/payments/{payment_id}/capture", {}, format="json")
    refund = test_client.post(f"/v1/payments/{payment_id}/refund", {}, format="json").json()

    assert _types(payment_id) == [
        "payment.created",
        "payment.authorized",
        "payment.captured",
        "payment.refunded",
    ]
    assert _types(refund["id"]) == ["refund.created", "refund.succeeded"]
    declined = pay(
        payment_method_data={
            "type": "card",
            "card": {"number": "4000000000000002", "exp_month": 1, "exp_year": 2040},
        }
    ).json()
    assert _types(declined["error"]["payment"]) == ["payment.created", "payment.failed"]


def test_event_payload_is_the_api_object(pay, test_client):
    payment = pay().json()

    event = test_client.get(f"/v1/events?type=payment.captured&object={payment['id']}").json()

    assert len(event["data"]) == 1
    body = event["data"][0]
    assert body["object"] == "event"
    assert body["type"] == "payment.captured"
    assert body["livemode"] is False
    assert body["data"]["object"] == test_client.get(f"/v1/payments/{payment['id']}").json()
    assert test_client.get(f"/v1/events/{body['id']}").json() == body
    assert body["request"]["id"].startswith("req_")
    assert body["request"]["idempotency_key"] is None


def test_events_name_the_idempotency_key_of_their_request(test_client):
    payment = test_client.post(
        "/v1/payments",
        {"amount": 700, "currency": "usd", "payment_method_data": card_data()},
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-77-attempt-1",
    ).json()
    # a later request without a key, in the same thread, does not inherit it
    refund = test_client.post(f"/v1/payments/{payment['id']}/refund", {}, format="json").json()

    events = test_client.get(f"/v1/events?object={payment['id']}&limit=100").json()["data"]
    refunded = test_client.get(f"/v1/events?object={refund['id']}").json()["data"]

    assert {e["request"]["idempotency_key"] for e in events if e["type"] != "payment.refunded"} == {
        "order-77-attempt-1"
    }
    assert {e["request"]["idempotency_key"] for e in refunded} == {None}


def test_events_list_filters_by_type_prefix(pay, test_client):
    pay()

    types = {
        e["type"] for e in test_client.get("/v1/events?type=payment.*&limit=100").json()["data"]
    }

    assert types == {"payment.created", "payment.captured"}


def test_a_failure_after_the_event_rolls_back_both(pay):
    """T08(a): an exception after the outbox insert, before commit, leaves neither."""
    payment = Payment.objects.get(pk=pay(capture_method="manual").json()["id"])
    events_before = Event.objects.count()

    def cancel_then_crash():
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            locked.cancel(reason="")
            payment_services.payment_save_and_emit(locked)
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        cancel_then_crash()

    payment.refresh_from_db()
    assert payment.status == "authorized"
    assert Event.objects.count() == events_before


def test_events_cannot_be_emitted_outside_a_transaction(merchant):
    with pytest.raises(RuntimeError):
        event_emit(
            type="payment.created",
            snapshot={"id": "pay_x"},
            merchant_id=merchant.id,
            livemode=False,
        )


def test_events_are_scoped_to_merchant_and_mode(pay, client_for, keys):
    pay()

    assert client_for(keys["live_secret"]).get("/v1/events").json()["data"] == []


def test_an_object_filter_naming_none_of_the_callers_objects_is_resource_missing(
    pay, test_client, client_for, keys
):
    payment_id = pay().json()["id"]

    for client, object_id in [
        (test_client, "pay_missing"),
        (client_for(keys["live_secret"]), payment_id),  # the other mode's
    ]:
        response = client.get(f"/v1/events?object={object_id}")
        assert response.status_code == 400
        assert response.json()["error"] | {"message": None} == {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": "object",
            "message": None,
        }
    assert test_client.get(f"/v1/events?object={payment_id}&type=refund.*").json()["data"] == []


def test_payment_created_shows_the_payment_as_created(pay, test_client):
    payment = pay().json()

    created = test_client.get(f"/v1/events?type=payment.created&object={payment['id']}").json()

    snapshot = created["data"][0]["data"]["object"]
    assert (snapshot["status"], snapshot["amount_received"]) == ("created", 0)
    assert payment["status"] == "captured"
