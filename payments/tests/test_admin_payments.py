"""The payments console: actions go through the services, ask why, and are audited."""

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, User
from django.urls import reverse

from gateway.audit import AuditLog
from gateway.events import Event
from merchants.services import merchant_suspend
from payments.models import Payment, Refund
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


def _staff(client, name: str, group: str | None = None):
    user = User.objects.create_user(name, f"{name}@ops.test", "a-long-password-123",
                                     is_staff=True)  # fmt: skip
    if group:
        user.groups.add(Group.objects.get(name=group))
    else:
        user.is_superuser = True
        user.save()
    client.force_login(user)
    return client


def _act(client, action: str, payment_id: str, **fields):
    body = {"action": action, "_selected_action": [payment_id], "confirm": "yes", **fields}
    return client.post("/admin/payments/payment/", body, follow=True)


def test_capture_cancel_and_refund_from_the_admin_are_audited(client, pay):
    staff = _staff(client, "alice")
    manual = pay(capture_method="manual").json()["id"]
    another = pay(capture_method="manual").json()["id"]

    _act(staff, "capture", manual, reason="customer called", amount=600)
    _act(staff, "cancel", another, reason="duplicate order")
    _act(staff, "refund", manual, reason="goodwill", amount=100)

    assert Payment.objects.get(pk=manual).status == "partially_refunded"
    assert Payment.objects.get(pk=manual).amount_received_minor == 600
    assert Payment.objects.get(pk=another).status == "canceled"
    audits = list(AuditLog.objects.filter(object_type="payments.payment").order_by("id")
                  .values_list("action", "actor", "reason"))  # fmt: skip
    assert audits == [
        ("payment.capture", "admin:alice", "customer called"),
        ("payment.capture.done", "admin:alice", ""),
        ("payment.cancel", "admin:alice", "duplicate order"),
        ("payment.cancel.done", "admin:alice", ""),
        ("payment.refund", "admin:alice", "goodwill"),
        ("payment.refund.done", "admin:alice", ""),
    ]
    refund = Refund.objects.get(payment_id=manual)
    assert AuditLog.objects.get(action="payment.refund.done").data == {
        "refund": refund.id, "amount": 100, "status": "succeeded"
    }  # fmt: skip


def test_an_action_the_payment_refuses_is_audited_with_why(client, pay):
    # given: a captured payment
    staff = _staff(client, "alice")
    payment_id = pay().json()["id"]

    # when
    _act(staff, "cancel", payment_id, reason="customer asked")

    # then: the request and its refusal, and nothing moved
    assert Payment.objects.get(pk=payment_id).status == "captured"
    refused = AuditLog.objects.get(action="payment.cancel.refused")
    assert "captured" in refused.data["error"]
    assert not AuditLog.objects.filter(action="payment.cancel.done").exists()


def test_an_action_without_a_reason_does_nothing(client, pay):
    staff = _staff(client, "alice")
    payment_id = pay(capture_method="manual").json()["id"]

    _act(staff, "capture", payment_id, reason="")

    assert Payment.objects.get(pk=payment_id).status == "authorized"
    assert not AuditLog.objects.filter(action="payment.capture").exists()


def test_a_refused_transition_is_reported_not_raised(client, pay):
    staff = _staff(client, "alice")
    payment_id = pay().json()["id"]

    response = _act(staff, "capture", payment_id, reason="again")

    assert response.status_code == 200
    assert b"only authorized payments can be captured" in response.content
    assert Payment.objects.get(pk=payment_id).status == "captured"


def test_support_refunds_only_up_to_its_limit(client, pay, settings):
    settings.SUPPORT_REFUND_LIMIT_MINOR = 500
    staff = _staff(client, "sam", group="support")
    payment_id = pay().json()["id"]

    refused = _act(staff, "refund", payment_id, reason="too much", amount=600)
    _act(staff, "refund", payment_id, reason="fine", amount=400)
    refused_in_all = _act(staff, "refund", payment_id, reason="a bit more", amount=200)

    # the limit holds for the payment in all, not for each refund
    assert Payment.objects.get(pk=payment_id).amount_refunded_minor == 400
    assert b"This would refund 600 of the payment in all, above the 500" in refused.content
    assert b"This would refund 600 of the payment in all" in refused_in_all.content
    assert b"[&#x27;" not in refused.content  # the message, not a list's repr
    assert AuditLog.objects.filter(action="payment.refund.refused").count() == 2


@pytest.mark.parametrize("amount", ["5.00", "5.0", "5,00", "0", "-5", "1e3"])
def test_an_amount_that_is_not_whole_minor_units_moves_nothing(client, pay, amount):
    """A support agent typing 5.00 for five dollars must not capture five cents."""
    staff = _staff(client, "alice")
    payment_id = pay(capture_method="manual").json()["id"]

    page = _act(staff, "capture", payment_id, reason="customer called", amount=amount)

    assert b"Whole minor units, no decimal point" in page.content
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_received_minor) == ("authorized", 0)


def test_the_payment_page_shows_its_timeline_and_no_secrets(client, pay):
    staff = _staff(client, "alice")
    payment = pay(capture_method="manual").json()
    _act(staff, "capture", payment["id"], reason="customer called to ship now")

    # the admin's own link, which quotes the id ("_" as "_5F")
    url = reverse("admin:payments_payment_change", args=[quote(payment["id"])])
    page = staff.get(url).content.decode()

    assert "_5F" in url
    for expected in (
        "approve (score 0)",
        "payment.created",
        "payment.authorized",
        "payment.captured",
        "authorize succeeded",
        "capture succeeded",
        "provider_clearing +1000",
        "payment.capture by admin:alice",
        "customer called to ship now",
    ):
        assert expected in page
    assert payment["client_secret"] not in page
    assert "4242424242424242" not in page


def test_no_admin_page_shows_a_client_secret(client, pay):
    # given: a payment waiting on 3-D Secure, whose challenge URL carries its secret
    staff = _staff(client, "sam", group="support")
    payment = pay(payment_method_data=card_data("4000002500003155"), return_url="https://s.test/")
    payment = payment.json()
    assert payment["status"] == "requires_action"

    # when staff look at the payment and at its events
    pages = [staff.get(reverse("admin:payments_payment_change", args=[quote(payment["id"])]))]
    for event in Event.objects.filter(object_id=payment["id"]):
        pages.append(staff.get(reverse("admin:gateway_event_change", args=[quote(event.id)])))

    # then none shows it: with it anyone could answer the cardholder's challenge
    for page in pages:
        assert page.status_code == 200
        assert payment["client_secret"] not in page.content.decode()
    assert "client_secret=•••" in pages[0].content.decode()


def test_the_payment_page_masks_the_risk_context_email(client, pay):
    staff = _staff(client, "sam", group="support")
    payment = pay(risk_context={"email": "jane.secret@example.org"}).json()

    page = staff.get(reverse("admin:payments_payment_change", args=[quote(payment["id"])]))

    assert "jane.secret" not in page.content.decode()
    assert "j***@example.org" in page.content.decode()


def test_payments_are_found_by_card_last4_and_filtered_by_merchant(client, pay, merchant):
    staff = _staff(client, "alice")
    visa = pay().json()["id"]
    mastercard = pay(payment_method_data=card_data("5555555555554444")).json()["id"]

    found = staff.get("/admin/payments/payment/?q=4444").content.decode()
    filtered = staff.get(f"/admin/payments/payment/?merchant__id__exact={merchant.id}")

    assert mastercard in found
    assert visa not in found
    assert filtered.status_code == 200
    assert visa in filtered.content.decode()


def test_the_audit_log_is_listed_read_only(client, pay):
    staff = _staff(client, "alice")
    payment_id = pay(capture_method="manual").json()["id"]
    _act(staff, "cancel", payment_id, reason="duplicate order")

    listing = staff.get("/admin/gateway/auditlog/?q=" + payment_id)

    assert listing.status_code == 200
    assert b"duplicate order" in listing.content
    assert b"admin:alice" in listing.content
    assert staff.get("/admin/gateway/auditlog/add/").status_code == 403
    entry = AuditLog.objects.get(object_id=payment_id, action="payment.cancel")
    assert staff.post(f"/admin/gateway/auditlog/{entry.pk}/delete/").status_code == 403


def test_provider_account_pages_never_show_credentials(client, test_client):
    staff = _staff(client, "alice")
    account = test_client.post(
        "/v1/provider_accounts",
        {
            "provider": "stripe",
            "credentials": {
                "secret_key": "sk_test_adminpagecheck123",
                "webhook_secret": "whsec_adminpagecheck",
            },
        },
        format="json",
    ).json()

    pages = [
        staff.get("/admin/payments/provideraccount/").content,
        staff.get(f"/admin/payments/provideraccount/{account['id']}/change/").content,
    ]

    for page in pages:
        assert account["id"].encode() in page
        assert b"adminpagecheck" not in page


@pytest.mark.parametrize("group, sees_staff", [("support", False), ("finance", False),
                                               ("admin", True)])  # fmt: skip
def test_only_the_admin_group_sees_staff_accounts(client, group, sees_staff):
    staff = _staff(client, f"someone-{group}", group)

    payments = staff.get("/admin/payments/payment/")
    users = staff.get("/admin/auth/user/")

    assert payments.status_code == 200
    assert (users.status_code == 200) is sees_staff


def test_support_cannot_capture_for_a_suspended_merchant(client, pay, merchant):
    staff = _staff(client, "alice")
    manual = pay(capture_method="manual").json()["id"]
    merchant_suspend(merchant=merchant, actor="test", reason="risk review")

    page = _act(staff, "capture", manual, reason="customer called")

    assert b"cannot take payments" in page.content
    assert Payment.objects.get(pk=manual).status == "authorized"
    refused = AuditLog.objects.get(action="payment.capture.refused")
    assert "suspended" in refused.data["error"]


@pytest.mark.parametrize(
    "group, refunded", [("support", 500), ("finance", 0), ("admin", 1000), (None, 1000)]
)
def test_support_refunds_up_to_its_limit_finance_not_at_all_admin_in_full(
    client, pay, settings, group, refunded
):
    settings.SUPPORT_REFUND_LIMIT_MINOR = 500
    staff = _staff(client, f"agent-{group}", group)
    payment_id = pay(amount=1000).json()["id"]

    listing = staff.get("/admin/payments/payment/")
    for amount in (500, 500):
        _act(staff, "refund", payment_id, reason="goodwill", amount=amount)

    assert (b'value="refund"' in listing.content) is (refunded > 0)
    assert Payment.objects.get(pk=payment_id).amount_refunded_minor == refunded


@pytest.mark.parametrize("group, may", [("support", False), ("finance", False), ("admin", True)])
def test_only_the_admin_group_captures_and_cancels(client, pay, group, may):
    # given
    staff = _staff(client, f"agent-{group}", group)
    payment_id = pay(capture_method="manual").json()["id"]

    # when
    listing = staff.get("/admin/payments/payment/")
    _act(staff, "cancel", payment_id, reason="customer asked")

    # then
    assert (b'value="cancel"' in listing.content) is may
    assert (b'value="capture"' in listing.content) is may
    assert Payment.objects.get(pk=payment_id).status == ("canceled" if may else "authorized")
