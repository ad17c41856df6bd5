"""Every action on a payment in every state: allowed ones move it, the rest are 400
`payment_unexpected_state` (or the code in REFUSED_CODES) and change nothing."""

import pytest

from gateway.events import Event
from payments.models import Payment
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


def _reach(state: str, pay, client) -> str:
    """Create a payment of 1000 in `state` through the API; returns its id."""
    if state == "created":
        return pay(confirm=False).json()["id"]
    if state == "processing":
        return pay(simulate="network_timeout").json()["id"]
    if state == "requires_action":
        return pay(payment_method_data=card_data("4000002500003155")).json()["id"]
    if state == "failed":
        return pay(payment_method_data=card_data("4000000000000002")).json()["error"]["payment"]
    if state in ("authorized", "canceled"):
        payment_id = pay(capture_method="manual").json()["id"]
        if state == "canceled":
            client.post(f"/v1/payments/{payment_id}/cancel", {}, format="json")
        return payment_id
    payment_id = pay().json()["id"]
    refunds = {"partially_refunded": {"amount": 100}, "refunded": {}}
    if state in refunds:
        client.post(f"/v1/payments/{payment_id}/refund", refunds[state], format="json")
    return payment_id


ACTIONS = {
    "confirm": {},
    "capture": {},
    "cancel": {},
    "refund": {"amount": 100},
}

# (state, action) -> the status it leads to; every pair not listed must be refused.
ALLOWED = {
    ("created", "confirm"): "captured",
    ("created", "cancel"): "canceled",
    ("requires_action", "cancel"): "canceled",
    ("authorized", "capture"): "captured",
    ("authorized", "cancel"): "canceled",
    ("captured", "refund"): "partially_refunded",
    ("partially_refunded", "refund"): "partially_refunded",
}
# Refused pairs whose code is not `payment_unexpected_state`: a refunded payment is
# a captured one with nothing left, so a refund is too large (as it is while the last
# refunds are still pending), whatever the timing.
REFUSED_CODES = {("refunded", "refund"): "amount_too_large"}
STATES = [
    "created",
    "processing",
    "requires_action",
    "authorized",
    "captured",
    "partially_refunded",
    "refunded",
    "failed",
    "canceled",
]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_in_state(pay, test_client, state, action):
    # given
    payment_id = _reach(state, pay, test_client)
    before = Payment.objects.get(pk=payment_id)
    assert before.status == state
    events_before = Event.objects.count()

    # when
    response = test_client.post(
        f"/v1/payments/{payment_id}/{action}", ACTIONS[action], format="json"
    )

    # then
    after = Payment.objects.get(pk=payment_id)
    if (state, action) in ALLOWED:
        assert response.status_code == 200, response.json()
        assert after.status == ALLOWED[(state, action)]
        assert Event.objects.count() > events_before
    else:
        assert response.status_code == 400, response.json()
        expected_code = REFUSED_CODES.get((state, action), "payment_unexpected_state")
        assert response.json()["error"]["code"] == expected_code
        assert after.status == before.status
        assert after.amount_refunded_minor == before.amount_refunded_minor
        assert Event.objects.count() == events_before


def test_status_cannot_be_assigned_directly(pay):
    payment = Payment.objects.get(pk=pay().json()["id"])

    with pytest.raises(AttributeError):
        payment.status = "refunded"
