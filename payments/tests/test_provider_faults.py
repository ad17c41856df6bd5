"""T27: provider timeouts and ambiguous outcomes, with Stripe behind a fault proxy.

The proxy forwards to localstripe except where a test scripts a fault on a path:
(a) hang, (b) reset after reading the request, (c) 500 then 200, (d) 429 with
Retry-After, (e) 200 after our timeout fired. (a), (b), (e) must leave the payment
`processing` with its operation pending; the resolver then looks the PaymentIntent up
before any retry, retries reuse the same idempotency key, and the customer is charged
once, in the state the provider has.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from time_machine import travel

from payments import vault
from payments.models import Payment, ProviderAccount
from payments.services.provider_accounts import provider_for
from payments.services.resolution import operations_resolve_pending
from payments.tests.fakes.servers import HANG, RESET, Reply

pytestmark = pytest.mark.django_db
CONFIRM = ("POST", "/confirm")


@pytest.fixture
def stripe_account(add_account, stripe_proxy, fast_timeouts):
    account_id, _ = add_account("stripe", api_base=stripe_proxy.server.url)
    return account_id


def _confirm_keys(proxy) -> list[str]:
    return [r.headers.get("idempotency-key") for r in proxy.calls(*CONFIRM)]


def _pay_timed(pay) -> tuple[dict, float]:
    started = time.monotonic()
    body = pay(provider="stripe").json()
    return body, time.monotonic() - started


def _resolve() -> int:
    with travel(timezone.now() + timedelta(minutes=2)):
        return operations_resolve_pending()


def _intent(account_id: str, reference: str) -> dict:
    client = provider_for(ProviderAccount.objects.get(pk=account_id))._client
    return client.v1.payment_intents.retrieve(reference).to_dict()


@pytest.mark.parametrize("fault", [HANG, RESET], ids=["a-hang", "b-reset"])
def test_no_answer_leaves_the_payment_processing_and_the_resolver_finishes_it(
    pay, stripe_proxy, stripe_account, fault
):
    # given the confirmation is lost on its way (never reaches Stripe); a reset
    # connection is retried once by the SDK (same key), so it is reset twice
    stripe_proxy.script[CONFIRM] = [fault] if fault is HANG else [fault, fault]

    # when
    body, elapsed = _pay_timed(pay)

    # then the call gave up within the timeout and the outcome is unknown, not failed
    assert elapsed < 3
    assert body["status"] == "processing"
    payment = Payment.objects.get(pk=body["id"])
    operation = payment.operations.get()
    assert operation.status == "pending"
    assert operation.provider_reference.startswith("pi_")  # stored before confirming

    # when the resolver runs
    assert _resolve() == 1

    # then it looked the PaymentIntent up first, then sent the confirmation again
    # with the same key, and the payment is captured once
    requests = [(r.method, r.path) for r in stripe_proxy.server.requests]
    lookup = requests.index(("GET", f"/v1/payment_intents/{operation.provider_reference}"))
    assert requests[lookup + 1 :] == [
        ("POST", f"/v1/payment_intents/{operation.provider_reference}/confirm")
    ]
    keys = _confirm_keys(stripe_proxy)
    assert len(keys) >= 2
    assert set(keys) == {f"{payment.id}-authorize"}
    payment.refresh_from_db()
    assert payment.status == "captured"
    intent = _intent(stripe_account, operation.provider_reference)
    assert intent["status"] == "succeeded"
    assert payment.ledger_transactions.count() == 1
    call_command("ledger_check")


def test_e_an_answer_after_our_timeout_is_found_by_lookup_without_a_second_charge(
    pay, stripe_proxy, stripe_account
):
    # given Stripe confirms, but its answer arrives after we gave up
    stripe_proxy.script[CONFIRM] = [("forward", 1.0)]

    body, elapsed = _pay_timed(pay)

    assert elapsed < 3
    assert body["status"] == "processing"
    payment = Payment.objects.get(pk=body["id"])
    assert payment.operations.get().status == "pending"

    # when the resolver runs, the lookup finds the charge: nothing is sent again
    assert _resolve() == 1
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert len(stripe_proxy.calls(*CONFIRM)) == 1
    reference = payment.provider_reference
    intent = _intent(stripe_account, reference)
    assert intent["status"] == "succeeded"
    assert isinstance(intent["latest_charge"], dict | str)


def test_c_a_500_then_200_is_retried_by_the_sdk_with_the_same_key(
    pay, stripe_proxy, stripe_account
):
    stripe_proxy.script[CONFIRM] = [Reply(500, {"error": {"type": "api_error"}})]

    body, _ = _pay_timed(pay)

    assert body["status"] == "captured"
    keys = _confirm_keys(stripe_proxy)
    assert keys == [f"{body['id']}-authorize"] * 2


def test_d_a_429_did_nothing_upstream_and_the_payment_fails_retryably(
    pay, stripe_proxy, stripe_account
):
    stripe_proxy.script[CONFIRM] = [
        Reply(429, {"error": {"type": "rate_limit_error"}}, {"Retry-After": "1"})
    ]

    response = pay(provider="stripe")

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "processing_error"
    payment = Payment.objects.get(pk=response.json()["error"]["payment"])
    operation = payment.operations.get()
    intent = _intent(stripe_account, operation.provider_reference)
    assert intent["status"] == "requires_confirmation"  # nothing was charged


def test_every_provider_call_has_bounded_timeouts(settings):
    assert 0 < settings.PROVIDER_CONNECT_TIMEOUT <= 10
    assert 0 < settings.PROVIDER_READ_TIMEOUT <= 10


def test_a_webhook_settles_a_timed_out_authorization_by_asking_stripe(
    pay, client, stripe_proxy, stripe_account, django_capture_on_commit_callbacks
):
    # given Stripe charged, but its answer came after our timeout
    stripe_proxy.script[CONFIRM] = [("forward", 1.0)]
    payment = Payment.objects.get(pk=_pay_timed(pay)[0]["id"])
    reference = payment.operations.get().provider_reference
    secret = vault.provider_credentials(ProviderAccount.objects.get(pk=stripe_account))[
        "webhook_secret"
    ]
    body = json.dumps(
        {
            "id": "evt_late",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": reference, "object": "payment_intent"}},
        }
    ).encode()
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

    # when Stripe's event arrives (before the resolver's turn)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/webhooks/stripe/{stripe_account}",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={mac}",
        )

    # then the pending operation was resolved by lookup, without a second confirmation
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert payment.operations.get().status == "succeeded"
    assert len(stripe_proxy.calls(*CONFIRM)) == 1
    assert payment.ledger_transactions.count() == 1
