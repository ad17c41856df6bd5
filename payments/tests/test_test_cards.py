"""Every test card and `simulate` scenario gives its documented outcome (SPEC §4 and §5)."""

import pytest

from gateway.tests.assertions import assert_json_error
from payments.models import Payment
from payments.tests.conftest import card_data, row_counts
from payments.tests.helpers import random_pan

pytestmark = pytest.mark.django_db

SUCCEEDING = [
    "4242424242424242",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4000000000000259",
]

# number -> (error code, decline_code); the payment is stored failed with the decline code.
DECLINING = {
    "4000000000000002": ("card_declined", "generic_decline"),
    "4000000000009995": ("card_declined", "insufficient_funds"),
    "4000000000009987": ("card_declined", "lost_card"),
    "4000000000009979": ("card_declined", "stolen_card"),
    "4000000000000069": ("expired_card", "expired_card"),
    "4000000000000127": ("incorrect_cvc", "incorrect_cvc"),
    "4000000000000119": ("processing_error", "processing_error"),
    "4000000000000341": ("card_declined", "generic_decline"),
}


def _cvc_for(number: str) -> str:
    return "1234" if number.startswith("3") else "123"


@pytest.mark.parametrize("number", SUCCEEDING)
def test_succeeding_cards_are_captured(pay, number):
    response = pay(payment_method_data=card_data(number, cvc=_cvc_for(number)))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "captured"
    assert body["amount_received"] == 1000
    assert body["amount_capturable"] == 0
    assert body["failure_code"] is None
    assert body["provider_reference"].startswith("sim_")


@pytest.mark.parametrize("number, expected", DECLINING.items())
def test_declining_cards_are_402_and_the_failed_payment_is_kept(pay, test_client, number, expected):
    code, decline_code = expected

    response = pay(payment_method_data=card_data(number))

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "card_error"
    assert (error["code"], error["decline_code"]) == (code, decline_code)
    payment = test_client.get(f"/v1/payments/{error['payment']}").json()
    assert payment["status"] == "failed"
    assert payment["failure_code"] == decline_code
    assert payment["failure_message"]
    assert payment["amount_received"] == 0


def test_the_always_blocked_card_is_a_fraud_block(pay, test_client):
    response = pay(payment_method_data=card_data("4100000000000019"))

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "fraud_blocked"
    payment = test_client.get(f"/v1/payments/{error['payment']}").json()
    assert (payment["status"], payment["failure_code"]) == ("failed", "fraud_blocked")


def test_the_3ds_card_requires_action_with_a_redirect(pay):
    response = pay(
        payment_method_data=card_data("4000002500003155"), return_url="https://shop.test/done"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "requires_action"
    action = body["next_action"]
    assert action["type"] == "redirect_to_url"
    assert action["redirect_to_url"]["url"].startswith("http")
    assert body["id"] in action["redirect_to_url"]["url"]
    assert action["redirect_to_url"]["return_url"] == "https://shop.test/done"


@pytest.mark.parametrize(
    "scenario, status, code, decline_code",
    [
        ("success", 200, None, None),
        ("insufficient_funds", 402, "card_declined", "insufficient_funds"),
        ("fraud_detected", 402, "fraud_blocked", None),
        ("bank_error", 402, "processing_error", "processing_error"),
    ],
)
def test_simulate_scenarios(pay, scenario, status, code, decline_code):
    # a declining card, to show that the scenario decides
    response = pay(payment_method_data=card_data("4000000000000002"), simulate=scenario)

    assert response.status_code == status
    if code:
        error = response.json()["error"]
        assert error["code"] == code
        assert error.get("decline_code") == decline_code
        assert Payment.objects.get(pk=error["payment"]).status == "failed"
    else:
        assert response.json()["status"] == "captured"


def test_network_timeout_leaves_the_payment_processing_and_retryable(pay):
    response = pay(simulate="network_timeout")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "processing"
    payment = Payment.objects.get(pk=body["id"])
    assert list(payment.operations.values_list("status", flat=True)) == ["pending"]
    assert not payment.ledger_transactions.exists()


def test_live_mode_declines_test_cards(client_for, keys):
    response = client_for(keys["live_secret"]).post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "payment_method_data": card_data()},
        format="json",
    )

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["decline_code"]) == ("card_declined", "live_mode_test_card")
    assert Payment.objects.get(pk=error["payment"]).livemode is True


@pytest.mark.parametrize("saved", [False, True], ids=["inline-card", "saved-card"])
def test_live_mode_without_a_provider_account_takes_no_real_card(client_for, keys, saved):
    """The simulator moves no money: a live payment it 'captured' would be a lie."""
    live = client_for(keys["live_secret"])
    card = card_data(random_pan())
    body = {"amount": 1000, "currency": "usd", "payment_method_data": card}
    if saved:
        method = live.post("/v1/payment_methods", card, format="json").json()["id"]
        body = {"amount": 1000, "currency": "usd", "payment_method": method}
    before = row_counts()

    response = live.post("/v1/payments", body, format="json")

    assert_json_error(response, 400, "invalid_request_error", "no_provider_available")
    assert row_counts() == before


def test_simulated_fraud_is_blocked_by_screening_and_its_risk_says_so(pay):
    response = pay(simulate="fraud_detected")

    payment = Payment.objects.get(pk=response.json()["error"]["payment"])
    assert (payment.status, payment.failure_code) == ("failed", "fraud_blocked")
    assert payment.risk == {
        "score": 100,
        "level": "block",
        "reasons": ["simulated_fraud_detected"],
    }
    assert not payment.operations.exists()  # no provider was asked


def test_simulate_is_refused_in_live_mode(client_for, keys):
    response = client_for(keys["live_secret"]).post(
        "/v1/payments",
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method_data": card_data(),
            "simulate": "success",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "simulate"
    assert not Payment.objects.exists()
