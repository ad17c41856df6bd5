"""No provider call happens inside a database transaction.

Every HTTP request the provider SDKs send (both go through requests' Session.send)
and every call into the simulator adapter records whether one of our atomic blocks
was open at that moment; whole flows on Stripe, PayPal and the simulator run, and
not a single call may have been inside one.
"""

import pytest
import requests

from gateway.db import in_transaction
from payments.providers.simulator import SimulatorProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    recorded: list[tuple[str, bool]] = []
    send = requests.Session.send

    def guarded_send(self, request, **kwargs):
        recorded.append((request.url, in_transaction()))
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", guarded_send)
    for name in ("authorize", "capture", "void", "refund", "lookup"):
        original = getattr(SimulatorProvider, name)

        def guarded(self, *args, _original=original, _name=name, **kwargs):
            recorded.append((f"simulator.{_name}", in_transaction()))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(SimulatorProvider, name, guarded)
    return recorded


def test_stripe_paypal_and_simulator_flows_call_outside_transactions(
    calls, pay, test_client, client, add_account, localstripe_url, fake_paypal
):
    add_account("stripe", api_base=localstripe_url)
    add_account("paypal", api_base=fake_paypal.server.url, credentials=fake_paypal.credentials)
    add_account("simulator", priority=0)

    for provider in ("stripe", "simulator"):
        payment = pay(provider=provider, capture_method="manual").json()["id"]
        test_client.post(f"/v1/payments/{payment}/capture", {"amount": 500}, format="json")
        test_client.post(f"/v1/payments/{payment}/refund", {"amount": 100}, format="json")
        voided = pay(provider=provider, capture_method="manual").json()["id"]
        test_client.post(f"/v1/payments/{voided}/cancel", {}, format="json")
    paypal = test_client.post(
        "/v1/payments",
        {"amount": 700, "currency": "usd", "provider": "paypal", "return_url": "https://x.test/"},
        format="json",
    ).json()
    fake_paypal.approve(paypal["provider_reference"])
    client.get(f"/hosted/payments/{paypal['id']}/return?client_secret={paypal['client_secret']}")
    test_client.post(f"/v1/payments/{paypal['id']}/refund", {}, format="json")

    targets = {target.split("/")[0] for target, _ in calls}
    assert {"http:", "simulator.authorize", "simulator.refund", "simulator.void"} <= targets
    assert len(calls) >= 20
    assert [target for target, inside in calls if inside] == []
