"""`manage.py deliver_webhooks` / `resend_event`, and the admin's resend action."""

import io

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from gateway.audit import AuditLog
from merchants.services import merchant_create
from webhooks.enums import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_deliver_webhooks_drains_everything_due_in_the_foreground(receiver, make_endpoint, emit):
    make_endpoint(receiver.url("/a"))
    make_endpoint(receiver.url("/b"))
    events = [emit() for _ in range(3)]  # committed, never dispatched (no on-commit here)
    out, err = io.StringIO(), io.StringIO()

    call_command("deliver_webhooks", "--concurrency", "1", stdout=out, stderr=err)

    assert len(receiver.requests) == 6, out.getvalue()
    assert {r.headers["webhook-id"] for r in receiver.requests} == {e.id for e in events}
    assert "6 attempts succeeded" in out.getvalue()
    assert "3 events dispatched" in out.getvalue()
    assert "delivery" in err.getvalue()  # the progress bar


def test_resend_event_sends_again_with_a_fresh_schedule(receiver, make_endpoint, emit):
    issued = make_endpoint(receiver.url())
    event = emit()
    call_command(
        "deliver_webhooks", "--concurrency", "1", stdout=io.StringIO(), stderr=io.StringIO()
    )
    out = io.StringIO()

    call_command("resend_event", event.id, "--now", "--reason", "merchant asked", stdout=out)

    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.id, event.id]
    assert f"{event.id} -> {issued.endpoint.id}: succeeded" in out.getvalue()
    audit = AuditLog.objects.get(action="webhook_delivery.resent")
    assert (audit.actor, audit.reason) == ("cli", "merchant asked")


def test_a_payments_admin_page_shows_the_deliveries_of_its_events(
    receiver, make_endpoint, test_client, admin_client
):
    make_endpoint(receiver.url("/hooks"), events=["payment.captured"])
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    payment = test_client.post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "payment_method_data": {"type": "card", "card": card}},
        format="json",
    ).json()
    call_command(
        "deliver_webhooks", "--concurrency", "1", stdout=io.StringIO(), stderr=io.StringIO()
    )

    page = admin_client.get(reverse("admin:payments_payment_change", args=[quote(payment["id"])]))

    assert "payment.captured succeeded" in page.content.decode()
    assert f"{receiver.url('/hooks')}: 1 attempt(s), last HTTP 200" in page.content.decode()


def test_resend_event_refuses_unknown_ids():
    with pytest.raises(CommandError):
        call_command("resend_event", "evt_nothere", stdout=io.StringIO())


def test_resend_event_names_another_merchants_endpoint_as_such(receiver, make_endpoint, emit):
    other, _ = merchant_create(name="Other Shop", email="ops@other.test", actor="test")
    theirs = make_endpoint(receiver.url(), owner=other).endpoint
    event = emit()

    with pytest.raises(CommandError, match=r"not an endpoint of .* merchant in test mode"):
        call_command("resend_event", event.id, "--endpoint", theirs.id, stdout=io.StringIO())
    assert not WebhookDelivery.objects.exists()


@pytest.fixture
def support_client(client):
    user = User.objects.create_user("sam", password="a-long-enough-password", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client.force_login(user)
    return client


def test_support_staff_see_deliveries_with_attempts_and_can_resend(
    support_client, receiver, make_endpoint, emit
):
    make_endpoint(receiver.url())
    event = emit()
    call_command(
        "deliver_webhooks", "--concurrency", "1", stdout=io.StringIO(), stderr=io.StringIO()
    )
    delivery = WebhookDelivery.objects.get(event=event)

    listing = support_client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    page = support_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    endpoints = support_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    response = support_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {
            "action": "resend",
            "_selected_action": [delivery.pk],
            "confirm": "yes",
            "reason": "lost on their side",
        },
    )

    assert listing.status_code == page.status_code == endpoints.status_code == 200
    assert b"Attempt" in page.content or b"attempt" in page.content
    assert b"secret" not in endpoints.content.lower() or b"whsec_" not in endpoints.content
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    audit = AuditLog.objects.get(action="webhook_delivery.resent")
    assert (audit.actor, audit.reason) == ("admin:sam", "lost on their side")


def test_support_staff_cannot_disable_an_endpoint(support_client, receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url()).endpoint

    support_client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {
            "action": "disable_endpoints",
            "_selected_action": [endpoint.pk],
            "confirm": "yes",
            "reason": "looked broken",
        },
    )

    assert WebhookEndpoint.objects.get(pk=endpoint.pk).status == "enabled"
    assert not AuditLog.objects.filter(action="webhook_endpoint.updated").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [(["--endpoint", "we_nope"], "No such webhook endpoint"),
     (["--concurrency", "-2"], "must be 1 or more")],
)  # fmt: skip
def test_deliver_webhooks_refuses_what_it_cannot_do(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("deliver_webhooks", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
