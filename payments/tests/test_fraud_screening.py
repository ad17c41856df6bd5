"""Fraud screening of payments through the API (SPEC §9): blocks without a provider
call, 3-D Secure when risk is medium, review when high, velocity per card."""

import pytest
import redis

from fraud import services as fraud_services
from fraud.models import Assessment, FraudSettings, Review, RuleSetting
from gateway.events import Event
from payments.models import Payment, ProviderOperation
from payments.tests.conftest import card_data
from payments.tests.helpers import random_pan
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db

BLOCKED = "4100000000000019"


def _events(payment_id: str) -> list[str]:
    return list(
        Event.objects.filter(object_id=payment_id).order_by("id").values_list("type", flat=True)
    )


def _strict_thresholds(merchant, *, three_d_secure=10, review=20, block=90) -> FraudSettings:
    """Thresholds under which one country mismatch (20 points) holds for review."""
    return FraudSettings.objects.create(
        merchant=merchant, three_d_secure_from=three_d_secure, review_from=review, block_from=block
    )


MISMATCH = {"ip_address": "203.0.113.9", "ip_country": "DE"}  # cards tokenize as US


def test_the_always_blocked_card_is_blocked_by_screening_before_any_provider_call(pay, test_client):
    # when
    response = pay(payment_method_data=card_data(BLOCKED))

    # then: the documented outcome
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("card_error", "fraud_blocked")
    assert "decline_code" not in error
    payment = test_client.get(f"/v1/payments/{error['payment']}").json()
    assert (payment["status"], payment["failure_code"]) == ("failed", "fraud_blocked")
    assert payment["risk"] == {
        "score": 100,
        "level": "block",
        "reasons": ["test_card_always_blocked"],
    }
    # and it was screening, not the acquirer
    assert not ProviderOperation.objects.exists()
    assert not SimulatedCharge.objects.exists()
    assessment = Assessment.objects.get(payment_id=payment["id"])
    assert (assessment.score, assessment.decision) == (100, "block")
    assert _events(payment["id"]) == ["payment.created", "payment.failed"]


def test_the_always_blocked_card_rule_is_test_mode_only(client_for, keys):
    response = client_for(keys["live_secret"]).post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "payment_method_data": card_data(BLOCKED)},
        format="json",
    )

    # live mode refuses it as a test card, at the acquirer
    error = response.json()["error"]
    assert (error["code"], error["decline_code"]) == ("card_declined", "live_mode_test_card")
    assert Payment.objects.get(pk=error["payment"]).risk["level"] == "approve"


def test_a_clean_payment_carries_its_risk(pay, test_client):
    body = pay().json()

    assert body["status"] == "captured"
    assert body["risk"] == {"score": 0, "level": "approve", "reasons": []}
    assert test_client.get(f"/v1/payments/{body['id']}").json()["risk"] == body["risk"]
    assert Assessment.objects.get(payment_id=body["id"]).decision == "approve"


def test_twelve_rapid_payments_with_one_card_escalate_per_the_velocity_rule(pay):
    # given a card that is not one of the simulator's magic numbers
    number = random_pan()

    # when
    responses = [pay(payment_method_data=card_data(number)) for _ in range(12)]

    # then: 1st-5th pass, 6th-10th need 3-D Secure, 11th and 12th are blocked
    statuses = [
        r.json()["status"] if r.status_code == 200 else r.json()["error"]["code"] for r in responses
    ]
    assert statuses == ["captured"] * 5 + ["requires_action"] * 5 + ["fraud_blocked"] * 2
    challenged = responses[5].json()
    assert challenged["risk"] == {
        "score": 30,
        "level": "three_d_secure",
        "reasons": ["velocity_card"],
    }
    assert "/hosted/payments/" in challenged["next_action"]["redirect_to_url"]["url"]
    blocked = Payment.objects.get(pk=responses[10].json()["error"]["payment"])
    assert (blocked.status, blocked.failure_code) == ("failed", "fraud_blocked")
    assert blocked.risk["score"] == 70


def test_velocity_is_per_merchant(pay, client_for, other_merchant_with_keys):
    number = random_pan()
    other = client_for(other_merchant_with_keys[1]["test_secret"])
    body = {"amount": 1000, "currency": "usd", "payment_method_data": card_data(number)}
    for _ in range(5):
        other.post("/v1/payments", body, format="json")

    assert pay(payment_method_data=card_data(number)).json()["status"] == "captured"


def test_the_simulators_magic_cards_are_not_counted_in_test_mode(pay):
    statuses = {pay().json()["status"] for _ in range(12)}

    assert statuses == {"captured"}


def test_off_session_charges_are_not_counted(test_client, pay):
    # given a saved card on a customer
    customer = test_client.post("/v1/customers", {}, format="json").json()["id"]
    method = test_client.post(
        "/v1/payment_methods", {**card_data(random_pan()), "customer": customer}, format="json"
    ).json()["id"]

    # when the merchant charges it twelve times
    statuses = [
        pay(payment_method=method, customer=customer, off_session=True).json()["status"]
        for _ in range(12)
    ]

    # then
    assert statuses == ["captured"] * 12
    assert pay(payment_method=method, customer=customer).json()["status"] == "captured"


@pytest.mark.parametrize(
    "where",
    ["risk_context", "billing_details"],
)
def test_a_blocklisted_email_is_blocked(pay, test_client, where):
    # given
    listed = test_client.post(
        "/v1/blocklist_items", {"type": "email", "value": "Fraud@Example.com"}, format="json"
    )
    assert listed.status_code == 200

    # when
    if where == "risk_context":
        response = pay(risk_context={"email": "fraud@example.COM"})
    else:
        data = card_data()
        data["billing_details"] = {"email": "FRAUD@example.com"}
        response = pay(payment_method_data=data)

    # then
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "fraud_blocked"
    payment = Payment.objects.get(pk=error["payment"])
    assert payment.risk["reasons"] == ["blocklist_email"]
    assert not payment.operations.exists()
    assessment = Assessment.objects.get(payment_id=payment.id)
    assert assessment.inputs["signals"]["email"] == "f***@example.com"  # masked


def test_blocklisted_card_bin_and_ip_block(pay, test_client):
    number = random_pan("412345")
    fingerprint = test_client.post("/v1/payment_methods", card_data(number), format="json").json()[
        "card"
    ]["fingerprint"]
    cases = [
        (
            {"type": "card_fingerprint", "value": fingerprint},
            {"payment_method_data": card_data(number)},
        ),
        (
            {"type": "card_bin", "value": "555555"},
            {"payment_method_data": card_data("5555555555554444")},
        ),
        (
            {"type": "ip_address", "value": "2001:db8::1"},
            {"risk_context": {"ip_address": "2001:DB8:0::1"}},
        ),
    ]
    for item, payment in cases:
        assert test_client.post("/v1/blocklist_items", item, format="json").status_code == 200

        response = pay(**payment)

        assert response.status_code == 402, item
        reasons = Payment.objects.get(pk=response.json()["error"]["payment"]).risk["reasons"]
        assert reasons == [f"blocklist_{item['type']}"]


def test_a_country_mismatch_goes_to_3d_secure(pay):
    # card US, billing US, IP in Germany: 20 + 15 points
    response = pay(
        risk_context={**MISMATCH, "billing_country": "us"}, return_url="https://shop.test/done"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "requires_action"
    assert body["risk"] == {"score": 35, "level": "three_d_secure", "reasons": ["country_mismatch"]}
    redirect = body["next_action"]["redirect_to_url"]
    assert redirect["url"].startswith(f"http://127.0.0.1:8000/hosted/payments/{body['id']}/")
    assert redirect["return_url"] == "https://shop.test/done"
    charge = SimulatedCharge.objects.get(reference=body["provider_reference"])
    assert charge.status == "authenticating"  # the acquirer was asked for a challenge


def test_the_ip_country_can_come_from_a_header(test_client):
    response = test_client.post(
        "/v1/payments",
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method_data": card_data(),
            "risk_context": {"billing_country": "US"},
        },
        format="json",
        HTTP_RISK_IP_COUNTRY="br",
    )

    assert response.json()["status"] == "requires_action"
    assert response.json()["risk"]["reasons"] == ["country_mismatch"]


def test_screening_at_confirmation_uses_what_was_given_at_creation(test_client):
    created = test_client.post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "confirm": False, "risk_context": MISMATCH},
        format="json",
    ).json()
    assert created["risk"] is None
    method = test_client.post("/v1/payment_methods", card_data(), format="json").json()["id"]

    confirmed = test_client.post(
        f"/v1/payments/{created['id']}/confirm",
        {"payment_method": method, "risk_context": {"billing_country": "FR"}},
        format="json",
    ).json()

    # card US, IP DE, billing FR: 20 + 15 + 10
    assert confirmed["status"] == "requires_action"
    assert confirmed["risk"]["score"] == 45
    stored = test_client.get(f"/v1/payments/{created['id']}").json()
    assert (stored["payment_method"], stored["risk"]) == (method, confirmed["risk"])
    assert Payment.objects.get(pk=created["id"]).risk_context["billing_country"] == "FR"


def test_a_blocked_confirmation_is_402_and_the_payment_failed(test_client):
    created = test_client.post(
        "/v1/payments", {"amount": 1000, "currency": "usd", "confirm": False}, format="json"
    ).json()
    method = test_client.post("/v1/payment_methods", card_data(BLOCKED), format="json").json()["id"]

    response = test_client.post(
        f"/v1/payments/{created['id']}/confirm", {"payment_method": method}, format="json"
    )

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "fraud_blocked"
    payment = Payment.objects.get(pk=created["id"])
    assert (payment.status, payment.failure_code) == ("failed", "fraud_blocked")
    assert (payment.payment_method_id, payment.risk["level"]) == (method, "block")
    assert _events(payment.id) == ["payment.created", "payment.failed"]


def test_off_session_payments_that_need_3d_secure_fail(test_client, pay, merchant):
    customer = test_client.post("/v1/customers", {}, format="json").json()["id"]
    method = test_client.post(
        "/v1/payment_methods", {**card_data(), "customer": customer}, format="json"
    ).json()["id"]

    response = pay(
        payment_method=method,
        customer=customer,
        off_session=True,
        risk_context={**MISMATCH, "billing_country": "US"},
    )

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["decline_code"]) == ("authentication_required",) * 2


def test_high_risk_is_authorized_then_held_for_review(pay, merchant):
    # given
    _strict_thresholds(merchant)

    # when
    body = pay(risk_context=MISMATCH).json()

    # then: authorized upstream, not captured, and waiting for a person
    assert body["status"] == "in_review"
    assert body["risk"]["level"] == "review"
    assert (body["amount_capturable"], body["amount_received"]) == (1000, 0)
    assert SimulatedCharge.objects.get(reference=body["provider_reference"]).status == "authorized"
    review = Review.objects.get(payment_id=body["id"])
    assert review.status == "open"
    assert _events(body["id"]) == ["payment.created", "payment.in_review"]
    opened = Event.objects.get(type="review.opened")
    assert opened.data["object"]["payment"] == body["id"]
    assert opened.data["object"]["open"] is True


def test_merchants_switch_rules_off(pay, merchant):
    settings = FraudSettings.objects.create(merchant=merchant)
    RuleSetting.objects.create(settings=settings, rule="velocity_card", is_enabled=False)
    number = random_pan()

    statuses = {pay(payment_method_data=card_data(number)).json()["status"] for _ in range(12)}

    assert statuses == {"captured"}


def test_merchants_can_turn_screening_off(pay, merchant):
    FraudSettings.objects.create(merchant=merchant, is_enabled=False)

    body = pay(payment_method_data=card_data(BLOCKED)).json()

    # the simulator itself lets the card through; screening is what blocks it
    assert body["status"] == "captured"
    assert body["risk"] == {"score": 0, "level": "approve", "reasons": []}


def test_a_counter_outage_fails_open(pay, monkeypatch):
    class Down:
        def observe(self, **kwargs):
            raise redis.ConnectionError("down")

    monkeypatch.setattr(fraud_services, "counters", lambda: Down())
    number = random_pan()

    statuses = {pay(payment_method_data=card_data(number)).json()["status"] for _ in range(11)}

    assert statuses == {"captured"}
    assessment = Assessment.objects.latest("created_at")
    assert assessment.inputs["facts"]["counters_available"] is False


def test_declines_count_towards_recent_declines(pay):
    number = random_pan()

    for _ in range(3):
        assert (
            pay(payment_method_data=card_data(number), simulate="insufficient_funds").status_code
            == 402
        )
    response = pay(payment_method_data=card_data(number))

    assert response.json()["status"] == "requires_action"
    assert response.json()["risk"]["reasons"] == ["recent_declines"]


@pytest.mark.parametrize("field", ["ip_country", "billing_country"])
def test_a_risk_context_country_must_be_an_iso_3166_code(pay, field):
    response = pay(risk_context={field: "ZZ"})

    assert response.status_code == 400
    assert response.json()["error"]["param"] == f"risk_context[{field}]"
    assert not Payment.objects.exists()
