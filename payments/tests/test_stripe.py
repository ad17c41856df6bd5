"""The Stripe adapter end to end through the API, against localstripe on loopback."""

from urllib.parse import parse_qs

import pytest
import stripe
from django.core.management import call_command

from payments.models import Payment, ProviderAccount
from payments.providers.stripe import StripeProvider, _amount_captured, _HttpClient
from payments.services.provider_accounts import provider_for
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_account(add_account, localstripe_url):
    account_id, _ = add_account("stripe", api_base=localstripe_url)
    return account_id


@pytest.fixture
def sent(monkeypatch):
    """Every request the Stripe SDK sends: (method, path, Idempotency-Key header)."""
    calls = []
    request = _HttpClient.request

    def record(self, method, url, headers, post_data=None):
        calls.append((method, url.split("127.0.0.1", 1)[-1], headers.get("Idempotency-Key")))
        return request(self, method, url, headers, post_data)

    monkeypatch.setattr(_HttpClient, "request", record)
    return calls


def _stripe(account_id: str) -> stripe.StripeClient:
    return provider_for(ProviderAccount.objects.get(pk=account_id))._client


def _intent(account_id: str, reference: str) -> dict:
    return _stripe(account_id).v1.payment_intents.retrieve(reference).to_dict()


def test_a_payment_is_authorized_and_captured_at_stripe(pay, stripe_account, sent):
    response = pay(provider="stripe", amount=2500)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["provider"]) == ("captured", "stripe")
    assert body["provider_reference"].startswith("pi_")
    assert _intent(stripe_account, body["provider_reference"])["status"] == "succeeded"
    payment = Payment.objects.get(pk=body["id"])
    assert payment.provider_account_id == stripe_account
    assert payment.operations.get().provider_account_id == stripe_account
    # every mutating call carried our key (or one derived from it), never the SDK's own
    posts = [(path, key) for method, path, key in sent if method == "post"]
    assert [key for _, key in posts] == [
        f"{payment.id}-authorize-pm",
        f"{payment.id}-authorize-pi",
        f"{payment.id}-authorize",
    ]
    call_command("ledger_check")


def test_manual_capture_partial_capture_and_refund(pay, test_client, stripe_account, sent):
    payment_id = pay(provider="stripe", capture_method="manual", amount=1000).json()["id"]
    reference = Payment.objects.get(pk=payment_id).provider_reference
    assert _intent(stripe_account, reference)["status"] == "requires_capture"

    captured = test_client.post(
        f"/v1/payments/{payment_id}/capture", {"amount": 600}, format="json"
    )
    refund = test_client.post(f"/v1/payments/{payment_id}/refund", {"amount": 100}, format="json")

    assert captured.json()["status"] == "captured"
    assert captured.json()["amount_received"] == 600
    assert refund.json()["status"] == "succeeded"
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_refunded_minor) == ("partially_refunded", 100)
    keys = {key for method, _, key in sent if method == "post"}
    assert f"{payment_id}-capture" in keys
    assert f"{refund.json()['id']}-refund" in keys
    refunds = _stripe(stripe_account).v1.refunds.list(params={"payment_intent": reference})
    assert {r.metadata.to_dict().get("gateway_operation") for r in refunds.data} >= {
        f"{refund.json()['id']}-refund"
    }
    call_command("ledger_check")


def test_cancel_voids_the_payment_intent(pay, test_client, stripe_account):
    payment_id = pay(provider="stripe", capture_method="manual").json()["id"]

    response = test_client.post(f"/v1/payments/{payment_id}/cancel", {}, format="json")

    assert response.json()["status"] == "canceled"
    reference = Payment.objects.get(pk=payment_id).provider_reference
    assert _intent(stripe_account, reference)["status"] == "canceled"


def test_a_card_declined_at_stripe_fails_the_payment(pay, stripe_account):
    response = pay(provider="stripe", payment_method_data=card_data("4000000000000341"))

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["decline_code"]) == ("card_declined", "generic_decline")
    payment = Payment.objects.get(pk=error["payment"])
    assert payment.status == "failed"
    assert payment.operations.get().status == "declined"
    assert _intent(stripe_account, payment.operations.get().provider_reference)["status"] == (
        "requires_payment_method"
    )


def test_localstripe_lets_the_generic_decline_card_through(pay, stripe_account):
    response = pay(provider="stripe", payment_method_data=card_data("4000000000000002"))

    assert response.json()["status"] == "captured"


def test_the_stripe_client_is_configured_deliberately(add_account, localstripe_url, settings):
    settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT = 2.0, 7.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    account_id, _ = add_account("stripe", api_base=localstripe_url)

    adapter = provider_for(ProviderAccount.objects.get(pk=account_id))

    assert isinstance(adapter, StripeProvider)
    requestor = adapter._client._requestor
    assert requestor._options.max_network_retries == 2
    http_client = requestor._client
    assert isinstance(http_client, _HttpClient)
    assert http_client._timeout == (2.0, 7.0)


@pytest.mark.parametrize("expanded", [True, False])
def test_latest_charge_is_accepted_expanded_or_as_an_id(expanded):
    charge = {"id": "ch_1", "amount": 900, "amount_captured": 700}
    intent = {
        "id": "pi_1",
        "amount": 900,
        "currency": "usd",
        "latest_charge": charge if expanded else "ch_1",
    }

    assert _amount_captured(intent) == (700 if expanded else 900)
    assert _amount_captured({**intent, "amount_received": 800}) == 800


@pytest.mark.parametrize(
    ("amount", "currency", "sent"),
    [(500, "isk", 50000), (1000, "mga", 10), (1000, "jpy", 1000), (1230, "kwd", 1230)],
    ids=["isk-two-decimals-at-stripe", "mga-whole-units-at-stripe", "jpy", "kwd"],
)
def test_amounts_go_to_stripe_in_its_units_and_come_back_in_ours(
    pay, stripe_proxy, add_account, amount, currency, sent
):
    add_account("stripe", api_base=stripe_proxy.server.url)

    body = pay(provider="stripe", amount=amount, currency=currency).json()

    (created,) = stripe_proxy.calls("POST", "/v1/payment_intents")
    assert parse_qs(created.body.decode())["amount"] == [str(sent)]
    assert (body["status"], body["amount_received"]) == ("captured", amount)


@pytest.mark.parametrize(("amount", "currency"), [(1050, "mga"), (1005, "kwd")])
def test_an_amount_stripe_cannot_express_fails_before_reaching_it(
    pay, stripe_proxy, add_account, amount, currency
):
    add_account("stripe", api_base=stripe_proxy.server.url)

    response = pay(provider="stripe", amount=amount, currency=currency)

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "processing_error"
    assert stripe_proxy.calls("POST", "/v1/payment_intents") == []


def test_a_capture_stripe_cannot_take_is_answered_as_refused_not_as_a_200(
    pay, test_client, stripe_account
):
    # given a KWD authorization (Stripe counts KWD in tens of fils)
    payment_id = pay(provider="stripe", currency="kwd", amount=10_000,
                     capture_method="manual").json()["id"]  # fmt: skip

    # when part of it that Stripe cannot express is captured
    response = test_client.post(
        f"/v1/payments/{payment_id}/capture", {"amount": 5_005}, format="json"
    )

    # then the refusal is the answer, and the payment is still authorized, in full
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, "payment_unexpected_state")
    assert "its status is authorized" in error["message"]
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_capturable_minor) == ("authorized", 10_000)


def test_a_card_that_needs_3d_secure_goes_to_stripes_page_from_the_hosted_checkout(
    test_client, stripe_account, client, settings
):
    # given a Stripe-routed payment without a return_url, paid at our checkout
    settings.PUBLIC_BASE_URL = "https://pay.example.test"
    created = test_client.post(
        "/v1/payments",
        {"amount": 1000, "currency": "usd", "provider": "stripe", "confirm": False},
        format="json",
    ).json()
    card = card_data("4000002500003155")["card"]

    # when the cardholder enters a card that needs 3-D Secure
    response = client.post(
        f"/hosted/payments/{created['id']}/checkout",
        {"client_secret": created["client_secret"], "card": card},
        content_type="application/json",
    )

    # then they go to Stripe's page, which sends them back to ours (then the receipt)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "requires_action"
    redirect = body["next_action"]["redirect_to_url"]
    assert redirect["url"].startswith("https://hooks.stripe.test/3ds/pi_")
    intent = _intent(stripe_account, Payment.objects.get(pk=created["id"]).provider_reference)
    assert intent["next_action"]["redirect_to_url"]["return_url"].startswith(
        f"https://pay.example.test/hosted/payments/{created['id']}/return?client_secret="
    )
