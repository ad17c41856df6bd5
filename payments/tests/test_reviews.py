"""Manual review: held payments are approved or rejected from the admin's review queue
(Django test client), through services, audited, with events."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from fraud.models import FraudSettings, Review
from gateway.api.errors import ForbiddenError
from gateway.audit import AuditLog
from gateway.events import Event
from merchants.services import merchant_suspend
from payments.errors import PaymentUnexpectedState
from payments.models import Payment
from payments.services.payments import payments_expire_authorizations
from payments.services.reviews import payment_review_approve
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db

MISMATCH = {"ip_address": "203.0.113.9", "ip_country": "DE"}  # 20 points


@pytest.fixture
def held(pay, merchant):
    """`held(**body)`: a payment screening holds for review (strict thresholds)."""
    FraudSettings.objects.create(
        merchant=merchant, three_d_secure_from=10, review_from=20, block_from=90
    )

    def create(**body):
        response = pay(risk_context=MISMATCH, **body)
        assert response.json()["status"] == "in_review", response.json()
        return Payment.objects.get(pk=response.json()["id"])

    return create


def _decide(client, action: str, *reviews: Review, reason: str = "Checked with the cardholder"):
    return client.post(
        "/admin/fraud/review/",
        {
            "action": action,
            "_selected_action": [review.pk for review in reviews],
            "confirm": "yes",
            "reason": reason,
        },
    )


def _types(object_id: str) -> list[str]:
    return list(
        Event.objects.filter(object_id=object_id).order_by("id").values_list("type", flat=True)
    )


def test_the_queue_lists_open_reviews(staff_client, held):
    payment = held()

    page = staff_client.get("/admin/fraud/review/?status__exact=open")

    assert page.status_code == 200
    assert payment.id.encode() in page.content
    assert b"country_mismatch" in page.content


def test_approving_captures_the_held_payment(staff_client, held):
    # given
    payment = held()
    review = Review.objects.get(payment_id=payment.id)

    # when: the action asks for a reason first, then runs
    assert (
        b"reason"
        in staff_client.post(
            "/admin/fraud/review/", {"action": "approve_review", "_selected_action": [review.pk]}
        ).content
    )
    response = _decide(staff_client, "approve_review", review)

    # then
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == ("captured", 1000)
    assert payment.ledger_transactions.count() == 1
    assert SimulatedCharge.objects.get(reference=payment.provider_reference).status == "captured"
    review.refresh_from_db()
    assert (review.status, review.closed_at is not None) == ("approved", True)
    assert _types(payment.id)[-2:] == ["payment.in_review", "payment.captured"]
    assert _types(review.id) == ["review.opened", "review.closed"]
    closed = Event.objects.get(type="review.closed").data["object"]
    assert (closed["open"], closed["status"]) == (False, "approved")
    audit = AuditLog.objects.get(action="payment.review_approved")
    assert (audit.actor, audit.object_id, audit.reason) == (
        "admin:alice",
        payment.id,
        "Checked with the cardholder",
    )


def test_rejecting_voids_and_cancels_the_held_payment(staff_client, held):
    payment = held()
    review = Review.objects.get(payment_id=payment.id)

    _decide(staff_client, "reject_review", review, reason="Stolen card reported")

    payment.refresh_from_db()
    assert (payment.status, payment.cancellation_reason) == ("canceled", "fraudulent")
    assert not payment.ledger_transactions.exists()
    assert SimulatedCharge.objects.get(reference=payment.provider_reference).status == "voided"
    review.refresh_from_db()
    assert review.status == "rejected"
    assert _types(payment.id)[-1] == "payment.canceled"
    assert _types(review.id) == ["review.opened", "review.closed"]
    assert AuditLog.objects.get(action="payment.review_rejected").reason == "Stolen card reported"


def test_approving_a_manual_capture_payment_leaves_it_authorized(staff_client, held):
    payment = held(capture_method="manual")
    authorized_at = payment.authorized_at

    _decide(staff_client, "approve_review", Review.objects.get(payment_id=payment.id))

    payment.refresh_from_db()
    assert (payment.status, payment.amount_capturable_minor) == ("authorized", 1000)
    assert payment.authorized_at == authorized_at  # the capture window is the provider's


def test_a_closed_review_cannot_be_decided_again(staff_client, held):
    payment = held()
    review = Review.objects.get(payment_id=payment.id)
    _decide(staff_client, "approve_review", review)

    response = _decide(staff_client, "reject_review", review)

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert AuditLog.objects.filter(action="payment.review_rejected").count() == 0


def test_support_staff_may_review(client, held):
    user = User.objects.create_user("sam", "sam@ops.test", "a-long-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="support"))
    client.force_login(user)
    payment = held()

    _decide(client, "reject_review", Review.objects.get(payment_id=payment.id))

    assert Payment.objects.get(pk=payment.id).status == "canceled"


def test_the_merchant_may_cancel_a_held_payment(held, test_client):
    payment = held()

    body = test_client.post(f"/v1/payments/{payment.id}/cancel", {}, format="json").json()

    assert body["status"] == "canceled"
    assert SimulatedCharge.objects.get(reference=payment.provider_reference).status == "voided"
    assert Review.objects.get(payment_id=payment.id).status == "canceled"


def test_held_payments_expire_with_the_authorization_window(held, settings):
    payment = held()
    Payment.objects.filter(pk=payment.pk).update(authorized_at=timezone.now() - timedelta(days=8))

    assert payments_expire_authorizations() == 1
    assert Payment.objects.get(pk=payment.pk).cancellation_reason == "expired"
    assert Review.objects.get(payment_id=payment.id).status == "canceled"


def test_a_held_payment_past_its_authorization_window_is_not_captured_on_approval(held):
    payment = held()
    Payment.objects.filter(pk=payment.pk).update(authorized_at=timezone.now() - timedelta(days=8))

    with pytest.raises(PaymentUnexpectedState) as refused:
        payment_review_approve(payment=payment, actor="admin:alice", reason="Looks fine")

    assert refused.value.code == "charge_expired_for_capture"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == ("in_review", 0)
    assert not AuditLog.objects.filter(action="payment.review_approved").exists()


def test_a_suspended_merchants_held_payment_stays_held_on_approval(held, merchant):
    payment = held()
    merchant_suspend(merchant=merchant, actor="test", reason="risk review")

    with pytest.raises(ForbiddenError) as refused:
        payment_review_approve(payment=payment, actor="admin:alice", reason="Looks fine")

    assert refused.value.code == "account_inactive"
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == ("in_review", 0)
    assert Review.objects.get(payment_id=payment.id).status == "open"


def test_the_payment_page_shows_the_assessment(staff_client, held):
    payment = held()

    page = staff_client.get(f"/admin/payments/payment/{payment.id}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Score 20" in html
    assert "country_mismatch" in html
    assert "203.0.113.9" in html
    assert "open" in html
