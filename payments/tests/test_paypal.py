"""The PayPal adapter through the API, against a recording PayPal stub on loopback."""

import base64
import json
import logging
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from time_machine import travel

from payments.hosted import provider_return_url
from payments.models import Payment, PaymentMethod, ProviderEvent
from payments.providers import paypal as paypal_adapter
from payments.services.resolution import operations_resolve_pending
from payments.tests.conftest import card_data
from payments.tests.fakes.servers import HANG, Reply

pytestmark = pytest.mark.django_db

RETURN_URL = "https://shop.example/thanks"
BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def paypal_account(add_account, fake_paypal):
    account_id, _ = add_account(
        "paypal", api_base=fake_paypal.server.url, credentials=fake_paypal.credentials
    )
    return account_id


@pytest.fixture
def pay_with_paypal(test_client, paypal_account):
    def create(**body):
        body = {"amount": 1050, "currency": "usd", "provider": "paypal", **body}
        body.setdefault("return_url", RETURN_URL)
        return test_client.post("/v1/payments", body, format="json")

    return create


def _order_id(payment_id: str) -> str:
    return Payment.objects.get(pk=payment_id).provider_reference


def test_an_order_is_created_and_the_customer_sent_to_paypal(pay_with_paypal, fake_paypal):
    response = pay_with_paypal(description="Two books")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "processing"
    order_id = body["provider_reference"]
    assert body["next_action"] == {
        "type": "redirect_to_url",
        "redirect_to_url": {
            "url": f"https://www.sandbox.paypal.test/checkoutnow?token={order_id}",
            "return_url": RETURN_URL,
        },
    }
    # the requests' shape: OAuth with Basic credentials, then the order with the token
    back = (
        f"http://127.0.0.1:8000/hosted/payments/{body['id']}/return"
        f"?client_secret={body['client_secret']}"
    )
    token, create = fake_paypal.server.requests
    assert (token.method, token.path) == ("POST", "/v1/oauth2/token")
    assert token.headers["authorization"] == f"Basic {fake_paypal.basic}"
    assert token.body == b"grant_type=client_credentials"
    assert create.headers["authorization"] == f"Bearer {fake_paypal.tokens[0]}"
    assert create.headers["paypal-request-id"] == f"{body['id']}-authorize"
    assert create.headers["content-type"] == "application/json"
    assert create.json() == {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": "default",
                "amount": {"currency_code": "USD", "value": "10.50"},
                "custom_id": body["id"],
                "description": "Two books",
            }
        ],
        "payment_source": {
            "paypal": {
                "experience_context": {
                    "return_url": back,
                    "cancel_url": back,
                    "user_action": "PAY_NOW",
                    "shipping_preference": "NO_SHIPPING",
                }
            }
        },
    }
    operation = Payment.objects.get(pk=body["id"]).operations.get()
    assert (operation.status, operation.provider_reference) == ("requires_action", order_id)


def test_the_oauth_token_is_cached(pay_with_paypal, fake_paypal):
    pay_with_paypal()
    pay_with_paypal()

    assert len(fake_paypal.calls("POST", "/v1/oauth2/token")) == 1
    assert len(fake_paypal.calls("POST", "/v2/checkout/orders")) == 2


def test_huf_goes_to_paypal_in_whole_forints(pay_with_paypal, fake_paypal):
    pay_with_paypal(amount=150000, currency="huf")  # HUF 1,500.00

    unit = fake_paypal.calls("POST", "/v2/checkout/orders")[0].json()["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "HUF", "value": "1500"}


def test_an_amount_paypal_cannot_take_fails_before_reaching_it(pay_with_paypal, fake_paypal):
    response = pay_with_paypal(amount=1999, currency="huf")  # HUF 19.99: no fillér at PayPal

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "processing_error"
    assert fake_paypal.calls("POST", "/v2/checkout/orders") == []


def test_amounts_use_the_currency_exponent(pay_with_paypal, fake_paypal):
    pay_with_paypal(amount=1000, currency="jpy")

    unit = fake_paypal.calls("POST", "/v2/checkout/orders")[0].json()["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "JPY", "value": "1000"}


def _back_from_paypal(client, payment_id: str, query: str = ""):
    """The customer's browser, sent back to the address the order gave PayPal."""
    payment = Payment.objects.get(pk=payment_id)
    return client.get(f"{provider_return_url(payment)}{query}".removeprefix(BASE_URL))


def test_approval_then_return_captures_and_redirects(pay_with_paypal, fake_paypal, client):
    payment_id = pay_with_paypal().json()["id"]
    fake_paypal.approve(_order_id(payment_id))

    response = _back_from_paypal(client, payment_id, "&token=x&PayerID=y")
    again = _back_from_paypal(client, payment_id)

    assert response.status_code == 302
    assert response["Location"] == f"{RETURN_URL}?payment={payment_id}&redirect_status=succeeded"
    assert again.status_code == 302
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_received_minor) == ("captured", 1050)
    assert payment.next_action is None
    captures = fake_paypal.calls("POST", "/capture")
    assert len(captures) == 1
    assert captures[0].headers["paypal-request-id"] == f"{payment_id}-capture"
    assert payment.ledger_transactions.count() == 1
    call_command("ledger_check")


def test_the_return_page_needs_the_client_secret(pay_with_paypal, fake_paypal, client):
    payment_id = pay_with_paypal().json()["id"]
    fake_paypal.approve(_order_id(payment_id))
    calls = len(fake_paypal.server.requests)

    response = client.get(f"/hosted/payments/{payment_id}/return?token=x&PayerID=y")

    assert response.status_code == 404
    assert len(fake_paypal.server.requests) == calls  # nobody asked PayPal anything
    assert Payment.objects.get(pk=payment_id).status == "processing"


def test_a_return_before_approval_changes_nothing(pay_with_paypal, fake_paypal, client):
    payment_id = pay_with_paypal().json()["id"]

    _back_from_paypal(client, payment_id)

    assert Payment.objects.get(pk=payment_id).status == "processing"
    assert fake_paypal.calls("POST", "/capture") == []


def _paypal_webhook(client, account_id: str, event: dict):
    return client.post(
        f"/webhooks/paypal/{account_id}",
        data=json.dumps(event),
        content_type="application/json",
        HTTP_PAYPAL_AUTH_ALGO="SHA256withRSA",
        HTTP_PAYPAL_CERT_URL="https://api.paypal.test/cert.pem",
        HTTP_PAYPAL_TRANSMISSION_ID="tx-1",
        HTTP_PAYPAL_TRANSMISSION_SIG="c2lnbmF0dXJl",
        HTTP_PAYPAL_TRANSMISSION_TIME="2026-11-22T10:00:00Z",
    )


def test_the_approval_webhook_captures_once(
    pay_with_paypal, fake_paypal, paypal_account, client, django_capture_on_commit_callbacks
):
    payment_id = pay_with_paypal().json()["id"]
    order_id = _order_id(payment_id)
    fake_paypal.approve(order_id)
    event = {
        "id": "WH-7YX",
        "event_type": "CHECKOUT.ORDER.APPROVED",
        "resource": {"id": order_id, "status": "APPROVED"},
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = _paypal_webhook(client, paypal_account, event)
        second = _paypal_webhook(client, paypal_account, event)

    assert first.status_code == second.status_code == 200
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    verify = fake_paypal.calls("POST", "/v1/notifications/verify-webhook-signature")[0].json()
    assert verify["webhook_id"] == fake_paypal.credentials["webhook_id"]
    assert verify["transmission_id"] == "tx-1"
    assert verify["webhook_event"] == event
    assert ProviderEvent.objects.get().status == "processed"
    assert Payment.objects.get(pk=payment_id).status == "captured"
    assert len(fake_paypal.calls("POST", "/capture")) == 1


def test_an_unverified_paypal_webhook_is_refused(
    pay_with_paypal, fake_paypal, paypal_account, client
):
    fake_paypal.verification_status = "FAILURE"
    event = {"id": "WH-1", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": {"id": "X"}}

    response = _paypal_webhook(client, paypal_account, event)
    unsigned = client.post(
        f"/webhooks/paypal/{paypal_account}",
        data=json.dumps(event),
        content_type="application/json",
    )

    assert response.status_code == unsigned.status_code == 400
    assert response.json()["error"]["code"] == "webhook_invalid"
    assert ProviderEvent.objects.count() == 0


@pytest.mark.parametrize(
    "resource",
    [[], "X", {"id": 7}, {"supplementary_data": []}, {"supplementary_data": {"related_ids": 1}}],
)
def test_a_verified_event_with_fields_of_the_wrong_type_is_acknowledged_and_ignored(
    fake_paypal, paypal_account, client, resource, django_capture_on_commit_callbacks
):
    event = {"id": "WH-2", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": resource}

    with django_capture_on_commit_callbacks(execute=True):
        response = _paypal_webhook(client, paypal_account, event)

    assert response.status_code == 200
    assert ProviderEvent.objects.get().status == "ignored"


def test_refund_goes_to_the_orders_capture(pay_with_paypal, fake_paypal, client, test_client):
    payment_id = pay_with_paypal().json()["id"]
    fake_paypal.approve(_order_id(payment_id))
    _back_from_paypal(client, payment_id)

    refund = test_client.post(f"/v1/payments/{payment_id}/refund", {"amount": 50}, format="json")

    assert refund.json()["status"] == "succeeded", refund.json()
    call = fake_paypal.calls("POST", "/refund")[0]
    capture_id = fake_paypal.orders[_order_id(payment_id)]["purchase_units"][0]["payments"][
        "captures"
    ][0]["id"]
    assert call.path == f"/v2/payments/captures/{capture_id}/refund"
    assert call.headers["paypal-request-id"] == f"{refund.json()['id']}-refund"
    assert call.json() == {"amount": {"currency_code": "USD", "value": "0.50"}}
    assert Payment.objects.get(pk=payment_id).status == "partially_refunded"


SERVER_ERROR = Reply(500, {"name": "INTERNAL_SERVER_ERROR"})


def _resolve_later() -> int:
    with travel(timezone.now() + timedelta(minutes=2)):
        return operations_resolve_pending()


@pytest.fixture
def refund_answered_500(pay_with_paypal, fake_paypal, client, test_client):
    """`refund_answered_500()`: a refund of a captured order that PayPal answered with a
    500 (whether it refunded, only a resend under the same PayPal-Request-Id tells)."""

    def make():
        payment_id = pay_with_paypal().json()["id"]
        fake_paypal.approve(_order_id(payment_id))
        _back_from_paypal(client, payment_id)
        fake_paypal.faults[("POST", "/refund")] = [SERVER_ERROR]
        url = f"/v1/payments/{payment_id}/refund"
        return test_client.post(url, {"amount": 50}, format="json")

    return make


def test_a_500_to_a_refund_leaves_it_pending_then_refunds_once(
    refund_answered_500, fake_paypal, test_client
):
    # when
    refund = refund_answered_500()

    # then it waits for the resolver, which asks again under the same PayPal-Request-Id
    assert refund.json()["status"] == "pending"
    assert _resolve_later() == 1
    assert test_client.get(f"/v1/refunds/{refund.json()['id']}").json()["status"] == "succeeded"
    keys = {call.headers["paypal-request-id"] for call in fake_paypal.calls("POST", "/refund")}
    assert keys == {f"{refund.json()['id']}-refund"}


def test_a_refund_paypal_cannot_be_asked_about_is_resent_not_given_up(
    refund_answered_500, fake_paypal, test_client, settings
):
    # given a refund left pending for longer than the give-up window (PayPal answering
    # 500 for hours)
    refund = refund_answered_500()
    assert refund.json()["status"] == "pending"

    # when the resolver runs after the window
    later = timezone.now() + timedelta(seconds=settings.PROVIDER_OPERATION_GIVE_UP_AFTER + 60)
    with travel(later):
        operations_resolve_pending()

    # then it asked PayPal again (its refunds are known only so), never gave up
    assert test_client.get(f"/v1/refunds/{refund.json()['id']}").json()["status"] == "succeeded"
    assert len(fake_paypal.calls("POST", "/refund")) == 2


def test_a_500_to_the_capture_keeps_the_payment_from_being_canceled_until_resolved(
    pay_with_paypal, fake_paypal, client, test_client
):
    # given an approved order whose capture PayPal answers with a 500
    payment_id = pay_with_paypal().json()["id"]
    fake_paypal.approve(_order_id(payment_id))
    fake_paypal.faults[("POST", "/capture")] = [SERVER_ERROR]
    _back_from_paypal(client, payment_id)

    # when the merchant tries to cancel it meanwhile
    canceled = test_client.post(f"/v1/payments/{payment_id}/cancel", {}, format="json")

    # then the capture is not taken for failed: the cancel is refused, the resolver captures
    assert canceled.status_code == 400
    assert Payment.objects.get(pk=payment_id).status == "processing"
    assert _resolve_later() == 1
    assert Payment.objects.get(pk=payment_id).status == "captured"


def test_a_payment_awaiting_approval_can_be_canceled(pay_with_paypal, test_client):
    payment_id = pay_with_paypal().json()["id"]

    response = test_client.post(f"/v1/payments/{payment_id}/cancel", {}, format="json")

    assert response.json()["status"] == "canceled"


@pytest.mark.parametrize(
    "body, param",
    [
        ({"return_url": ""}, "return_url"),
        ({"capture_method": "manual"}, "capture_method"),
    ],
)
def test_paypal_payments_need_a_return_url_and_automatic_capture(pay_with_paypal, body, param):
    response = pay_with_paypal(**body)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_t27_a_hanging_paypal_leaves_the_payment_processing_until_resolved(
    pay_with_paypal, fake_paypal, fast_timeouts
):
    # given PayPal hangs on the order creation
    fake_paypal.faults[("POST", "/v2/checkout/orders")] = [HANG]

    # when
    started = time.monotonic()
    response = pay_with_paypal()
    elapsed = time.monotonic() - started

    # then the call gave up within the timeout, and the outcome is left unknown
    assert elapsed < 3
    body = response.json()
    assert body["status"] == "processing"
    assert body["next_action"] is None
    assert Payment.objects.get(pk=body["id"]).operations.get().status == "pending"

    # when the resolver runs: the order is asked for again with the same PayPal-Request-Id
    with travel(timezone.now() + timedelta(minutes=2)):
        assert operations_resolve_pending() == 1
    creates = fake_paypal.calls("POST", "/v2/checkout/orders")
    assert [c.headers["paypal-request-id"] for c in creates] == [f"{body['id']}-authorize"] * 2
    payment = Payment.objects.get(pk=body["id"])
    assert payment.status == "processing"
    assert payment.next_action["redirect_to_url"]["url"].endswith(payment.provider_reference)
    assert len(fake_paypal.orders) == 1


def test_t20_paypal_secrets_stay_out_of_logs_even_at_debug(pay_with_paypal, fake_paypal, caplog):
    # given the adapter pinned the SDK's logger, and then someone turned it up to DEBUG
    sdk_logger = logging.getLogger("paypalrestsdk")
    assert paypal_adapter._sdk_logger is sdk_logger
    assert sdk_logger.level == logging.WARNING
    caplog.set_level(logging.DEBUG)
    level = sdk_logger.level
    sdk_logger.setLevel(logging.DEBUG)
    try:
        pay_with_paypal()
    finally:
        sdk_logger.setLevel(level)

    # then what it logged (headers, token response) is redacted
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "paypalrestsdk" in {r.name.split(".")[0] for r in caplog.records}
    basic = base64.b64encode(
        f"{fake_paypal.credentials['client_id']}:{fake_paypal.credentials['client_secret']}".encode()
    ).decode()
    for secret in (
        basic,
        fake_paypal.credentials["client_secret"],
        fake_paypal.tokens[0],
    ):
        assert secret not in text
    assert sdk_logger.level == logging.WARNING


def test_a_paypal_payment_is_confirmed_without_a_card_however_it_is_confirmed(
    pay_with_paypal, fake_paypal, test_client, client
):
    # given a PayPal payment created unconfirmed, and a card its buyer could type in
    created = pay_with_paypal(confirm=False).json()
    card = test_client.post("/v1/payment_methods", card_data(), format="json").json()["id"]

    # when it is confirmed with the card, by id through the API and inline at checkout
    by_id = test_client.post(
        f"/v1/payments/{created['id']}/confirm", {"payment_method": card}, format="json"
    )
    inline = client.post(
        f"/hosted/payments/{created['id']}/checkout",
        {"client_secret": created["client_secret"], "card": card_data()["card"]},
        content_type="application/json",
    )

    # then both are refused, and nothing is stored or sent
    assert by_id.status_code == inline.status_code == 400
    assert by_id.json()["error"]["param"] == "payment_method"
    payment = Payment.objects.get(pk=created["id"])
    assert (payment.status, payment.payment_method_id) == ("created", None)
    assert PaymentMethod.objects.count() == 1  # the one tokenized above
    assert fake_paypal.calls("POST", "/v2/checkout/orders") == []
