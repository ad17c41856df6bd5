"""Migration 0002 moves each stored authorization answer onto its charge."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from simulator import acquirer
from simulator.models import SimulatedCharge, SimulatedRequest

BEFORE = [("simulator", "0001_initial")]
AFTER = [("simulator", "0002_authorization_on_the_charge")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_authorizations_move_onto_their_charges_and_back():
    old = _migrate(BEFORE)
    charge = old.get_model("simulator", "SimulatedCharge").objects.create
    request = old.get_model("simulator", "SimulatedRequest").objects.create
    common = {"livemode": False, "amount_minor": 1000, "currency": "usd", "card_last4": "4242"}
    charge(reference="sim_a", status="captured", **common)
    charge(reference="sim_b", status="failed", decline_code="lost_card", **common)
    charge(reference="sim_orphan", status="authorized", **common)
    answer = {"result": "succeeded", "reference": "sim_a", "status": "captured",
              "decline_code": "", "message": ""}  # fmt: skip
    declined = {"result": "declined", "reference": "sim_b", "status": "failed",
                "decline_code": "lost_card", "message": "Your card was reported lost."}  # fmt: skip
    request(idempotency_key="pay_a-authorize", operation="authorize", response=answer)
    request(idempotency_key="pay_b-authorize", operation="authorize", response=declined)
    request(idempotency_key="pay_a-capture", operation="capture", response=answer)

    _migrate(AFTER)

    assert acquirer.lookup("pay_a-authorize") == answer
    assert acquirer.lookup("pay_b-authorize") == declined
    assert acquirer.lookup("pay_a-capture") == answer
    assert list(SimulatedRequest.objects.values_list("operation", flat=True)) == ["capture"]
    orphan = SimulatedCharge.objects.get(reference="sim_orphan")
    assert orphan.idempotency_key == "unmatched-sim_orphan"
    assert (orphan.answer["result"], orphan.answer["status"]) == ("succeeded", "authorized")

    back = _migrate(BEFORE)
    requests = back.get_model("simulator", "SimulatedRequest").objects
    assert requests.get(idempotency_key="pay_a-authorize").response == answer
    assert requests.filter(operation="authorize").count() == 3
    _migrate(AFTER)
