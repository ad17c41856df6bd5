"""T09: inbound Stripe webhooks: signature and tolerance on the raw body, stored once,
processed by re-fetching the PaymentIntent, out-of-order deliveries converge."""

import hashlib
import hmac
import json
import time

import pytest

from gateway.events import Event
from payments.models import Payment, ProviderAccount, ProviderEvent
from payments.providers import stripe as stripe_provider
from payments.services.provider_accounts import provider_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(add_account, localstripe_url):
    account_id, credentials = add_account("stripe", api_base=localstripe_url)
    return account_id, credentials["webhook_secret"]


def _sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _event(event_id: str, type_: str, obj: dict) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": type_, "data": {"object": obj}}
    ).encode()


def _post(client, account_id: str, body: bytes, signature: str):
    return client.post(
        f"/webhooks/stripe/{account_id}",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


@pytest.fixture
def authorized(pay, account):
    """A manual-capture payment authorized at Stripe, then captured in Stripe's
    dashboard (directly at the provider, not through us)."""
    account_id, _ = account
    payment = Payment.objects.get(pk=pay(provider="stripe", capture_method="manual").json()["id"])
    client = provider_for(ProviderAccount.objects.get(pk=account_id))._client
    client.v1.payment_intents.capture(payment.provider_reference)
    return payment


def _captured_events(payment) -> int:
    return Event.objects.filter(object_id=payment.id, type="payment.captured").count()


def test_a_signed_event_moves_the_payment_once(
    client, account, authorized, django_capture_on_commit_callbacks
):
    account_id, secret = account
    pi = authorized.provider_reference
    body = _event("evt_1", "payment_intent.succeeded", {"id": pi, "object": "payment_intent"})

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, account_id, body, _sign(body, secret))
        replay = _post(client, account_id, body, _sign(body, secret))  # within tolerance

    assert first.status_code == replay.status_code == 200
    assert (first.json()["duplicate"], replay.json()["duplicate"]) == (False, True)
    authorized.refresh_from_db()
    assert (authorized.status, authorized.amount_received_minor) == ("captured", 1000)
    assert ProviderEvent.objects.get().status == "processed"
    assert _captured_events(authorized) == 1
    assert authorized.ledger_transactions.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda body, secret: _sign(body, "whsec_wrong"), id="wrong-secret"),
        pytest.param(lambda body, secret: _sign(body + b" ", secret), id="other-body"),
        pytest.param(
            lambda body, secret: _sign(body, secret, int(time.time()) - 301), id="stale-301s"
        ),
        pytest.param(lambda body, secret: "", id="missing"),
        pytest.param(lambda body, secret: "t=1,v2=abc", id="v2-only"),
    ],
)
def test_a_forged_or_stale_event_is_refused_and_changes_nothing(
    client, account, authorized, signature, django_capture_on_commit_callbacks
):
    account_id, secret = account
    body = _event(
        "evt_2",
        "payment_intent.succeeded",
        {"id": authorized.provider_reference, "object": "payment_intent"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, account_id, body, signature(body, secret))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_invalid"
    assert ProviderEvent.objects.count() == 0
    authorized.refresh_from_db()
    assert authorized.status == "authorized"


def test_the_signature_is_checked_on_the_raw_body_before_any_json_parsing(
    client, account, monkeypatch
):
    account_id, _ = account

    class NoJson:
        @staticmethod
        def loads(*args, **kwargs):
            raise AssertionError("parsed before the signature was checked")

    monkeypatch.setattr(stripe_provider, "json", NoJson)
    body = b'{"id": "evt_3", not even json'

    response = _post(client, account_id, body, _sign(body, "whsec_someone_else"))

    assert response.status_code == 400


def test_out_of_order_events_converge_on_the_providers_state(
    client, account, authorized, django_capture_on_commit_callbacks
):
    account_id, secret = account
    pi = authorized.provider_reference
    # the charge's event comes first, the (older) authorization's event last
    events = [
        _event(
            "evt_c", "charge.captured", {"id": "ch_x", "object": "charge", "payment_intent": pi}
        ),
        _event("evt_s", "payment_intent.succeeded", {"id": pi, "object": "payment_intent"}),
        _event(
            "evt_a",
            "payment_intent.amount_capturable_updated",
            {"id": pi, "object": "payment_intent"},
        ),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for body in events:
            assert _post(client, account_id, body, _sign(body, secret)).status_code == 200

    authorized.refresh_from_db()
    assert authorized.status == "captured"
    assert _captured_events(authorized) == 1
    assert set(ProviderEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_an_event_about_something_else_is_acknowledged_and_ignored(
    client, account, django_capture_on_commit_callbacks
):
    account_id, secret = account
    body = _event(
        "evt_x", "payment_intent.succeeded", {"id": "pi_other", "object": "payment_intent"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, account_id, body, _sign(body, secret))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().status == "ignored"


def test_an_unknown_account_is_a_404(client):
    response = client.post("/webhooks/stripe/pa_nope", data=b"{}", content_type="application/json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"evt_1"',
        b'{"type": "payment_intent.succeeded"}',
        b'{"id": 1, "type": "payment_intent.succeeded"}',
        b'{"id": "evt_1", "type": null}',
    ],
)
def test_a_signed_body_that_is_no_stripe_event_is_refused(client, account, body):
    account_id, secret = account

    response = _post(client, account_id, body, _sign(body, secret))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_invalid"
    assert ProviderEvent.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [[], {"object": []}, {"object": {"object": "charge", "payment_intent": 7}}],
    ids=["data-a-list", "object-a-list", "payment-intent-a-number"],
)
def test_a_signed_event_with_fields_of_the_wrong_type_is_acknowledged_and_ignored(
    client, account, data, django_capture_on_commit_callbacks
):
    account_id, secret = account
    body = json.dumps({"id": "evt_w", "type": "charge.captured", "data": data}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, account_id, body, _sign(body, secret))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().status == "ignored"


@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_a_nul_in_the_account_id_is_a_400_not_a_database_error(client, provider):
    response = client.post(
        f"/webhooks/{provider}/pa_%00", data=b"{}", content_type="application/json"
    )

    assert response.status_code == 400
