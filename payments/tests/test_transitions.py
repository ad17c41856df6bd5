"""Every action on a payment in every state: allowed ones move it, the rest are 400
`payment_unexpected_state` (or the code in REFUSED_CODES) and change nothing."""

import copy

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
        assert response.json()["error"]["code"] == "payment_unexpected_state"
        assert after.status == before.status
        assert after.amount_refunded_minor == before.amount_refunded_minor
        assert Event.objects.count() == events_before


def test_status_cannot_be_assigned_directly(pay):
    payment = Payment.objects.get(pk=pay().json()["id"])

    with pytest.raises(AttributeError):
        payment.status = "refunded"


# Each transition's keyword arguments: a transition added without an entry here fails
# the test below, which is the point.
TRANSITION_ARGUMENTS = {
    "begin_authorization": {},
    "await_customer": {"provider_reference": "ref_1", "next_action": {"type": "redirect"}},
    "begin_authentication": {},
    "authorize": {"provider_reference": "ref_1"},
    "require_action": {"provider_reference": "ref_1", "next_action": {"type": "redirect"}},
    "capture": {"amount_minor": 600, "fee_minor": 40, "provider_reference": "ref_2"},
    "fail": {"code": "card_declined", "message": "Declined."},
    "cancel": {"reason": "duplicate"},
    "hold_for_review": {},
    "settle_refund": {"refunded_succeeded_minor": 100},
}


def test_transitions_write_only_their_declared_fields():
    """A transitioned payment is saved with `update_fields=Payment.TRANSITION_FIELDS`:
    a column a transition wrote outside them would silently not be saved."""
    declared = {Payment._meta.get_field(name).attname for name in Payment.TRANSITION_FIELDS}
    columns = [field.attname for field in Payment._meta.concrete_fields]
    transitions = Payment._meta.get_field("status").get_all_transitions(Payment)
    for transition in transitions:
        payment = Payment(status=transition.source, amount_minor=1000, amount_received_minor=1000)
        before = {column: copy.deepcopy(getattr(payment, column)) for column in columns}

        getattr(payment, transition.name)(**TRANSITION_ARGUMENTS[transition.name])

        written = {column for column in columns if getattr(payment, column) != before[column]}
        assert written <= declared, (transition.name, transition.source, written - declared)
