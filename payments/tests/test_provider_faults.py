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
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.utils import timezone
from time_machine import travel

from fraud.models import FraudSettings, Review
from gateway.tests.assertions import assert_json_error
from payments import vault
from payments.models import Payment, ProviderAccount, Refund
from payments.services.provider_accounts import provider_for
from payments.services.provider_sync import payment_sync
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


SERVER_ERROR = Reply(500, {"error": {"type": "api_error", "message": "Something went wrong."}})


def test_f_a_500_to_the_confirmation_is_no_answer_and_never_fails_over(
    pay, add_account, stripe_proxy, fast_timeouts, settings
):
    # given Stripe before the simulator, and a confirmation Stripe answers with a 500
    # (which it replays under the key whether or not it charged)
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe, _ = add_account("stripe", api_base=stripe_proxy.server.url, priority=1)
    add_account("simulator", priority=2)
    stripe_proxy.script[CONFIRM] = [SERVER_ERROR]

    # when
    body = pay().json()

    # then nothing is tried elsewhere: the resolver asks Stripe, and charges once
    assert (body["status"], body["provider"]) == ("processing", "stripe")
    payment = Payment.objects.get(pk=body["id"])
    assert list(payment.operations.values_list("provider_account_id", "status")) == [
        (stripe, "pending")
    ]
    assert _resolve() == 1
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert set(_confirm_keys(stripe_proxy)) == {f"{payment.id}-authorize"}


def test_g_a_409_key_in_use_is_no_answer_yet(pay, stripe_proxy, stripe_account, settings):
    # given Stripe still running a request under the confirmation's key
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_proxy.script[CONFIRM] = [
        Reply(409, {"error": {"type": "idempotency_error", "message": "Request in progress."}})
    ]

    # when
    body = pay(provider="stripe").json()

    # then it is not taken for a failure: the resolver finishes it
    assert body["status"] == "processing"
    assert _resolve() == 1
    assert Payment.objects.get(pk=body["id"]).status == "captured"


def test_h_a_500_to_a_refund_leaves_it_pending_then_refunds_once(
    pay, test_client, stripe_proxy, stripe_account, settings
):
    # given a captured payment, and a refund Stripe answers with a 500
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    payment = pay(provider="stripe", amount=5000).json()
    stripe_proxy.script[("POST", "/v1/refunds")] = [SERVER_ERROR]

    # when
    refund = test_client.post(
        f"/v1/payments/{payment['id']}/refund", {"amount": 2000}, format="json"
    ).json()

    # then the amount stays reserved (no second refund can take it) until Stripe is asked
    assert refund["status"] == "pending"
    assert test_client.get(f"/v1/payments/{payment['id']}").json()["amount_refunded"] == 2000
    assert _resolve() == 1
    assert test_client.get(f"/v1/refunds/{refund['id']}").json()["status"] == "succeeded"
    reference = Payment.objects.get(pk=payment["id"]).provider_reference
    client = provider_for(ProviderAccount.objects.get(pk=stripe_account))._client
    listed = client.v1.refunds.list(params={"payment_intent": reference}).to_dict()["data"]
    assert [r["amount"] for r in listed] == [2000]


def test_h2_a_payment_its_pending_refunds_cover_is_refused_by_amount_then_by_state(
    pay, test_client, stripe_proxy, stripe_account, settings
):
    # given a captured payment whose whole amount a pending refund holds
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    payment_id = pay(provider="stripe", amount=5000).json()["id"]
    stripe_proxy.script[("POST", "/v1/refunds")] = [SERVER_ERROR]
    refund_url = f"/v1/payments/{payment_id}/refund"
    assert test_client.post(refund_url, {}, format="json").json()["status"] == "pending"

    # when more is asked while it is pending, then again once it has succeeded
    while_pending = test_client.post(refund_url, {"amount": 1}, format="json")
    assert _resolve() == 1
    once_refunded = test_client.post(refund_url, {"amount": 1}, format="json")

    # then the first is too large (the payment is still `captured`), the second finds
    # a payment in its final state
    error = assert_json_error(while_pending, 400, "invalid_request_error", "amount_too_large")
    assert "Nothing remains refundable" in error["message"]
    assert Payment.objects.get(pk=payment_id).status == "refunded"
    error = assert_json_error(
        once_refunded, 400, "invalid_request_error", "payment_unexpected_state"
    )
    assert error["message"] == "This payment has already been fully refunded."
    assert Refund.objects.filter(payment_id=payment_id).count() == 1


def _asks_for_3d_secure(request) -> Reply:
    """Stripe's answer to a confirmation that needs the cardholder on its 3-D Secure page
    (localstripe has none)."""
    intent = request.path.split("/")[-2]
    return Reply(
        200,
        {
            "id": intent,
            "object": "payment_intent",
            "status": "requires_action",
            "next_action": {
                "type": "redirect_to_url",
                "redirect_to_url": {"url": "https://hooks.stripe.test/3ds", "return_url": None},
            },
        },
    )


def test_i_canceling_a_payment_waiting_on_stripes_3d_secure_cancels_the_intent(
    pay, test_client, stripe_proxy, stripe_account
):
    # given a payment sent to Stripe's 3-D Secure page
    stripe_proxy.script[CONFIRM] = [_asks_for_3d_secure]
    body = pay(provider="stripe", return_url="https://shop.test/back").json()
    assert body["status"] == "requires_action"

    # when the merchant cancels it
    canceled = test_client.post(f"/v1/payments/{body['id']}/cancel", {}, format="json").json()

    # then the PaymentIntent is canceled too: a challenge completed later takes nothing
    assert canceled["status"] == "canceled"
    reference = Payment.objects.get(pk=body["id"]).provider_reference
    assert _intent(stripe_account, reference)["status"] == "canceled"


def test_i2_a_cancel_stripe_refuses_since_the_challenge_was_completed_books_the_capture(
    pay, test_client, stripe_proxy, stripe_account
):
    # given a payment sent to Stripe's 3-D Secure page, whose cardholder completed the
    # challenge there: Stripe took the money, and no webhook or return told us
    stripe_proxy.script[CONFIRM] = [_asks_for_3d_secure]
    body = pay(provider="stripe", return_url="https://shop.test/back").json()
    payment = Payment.objects.get(pk=body["id"])
    client = provider_for(ProviderAccount.objects.get(pk=stripe_account))._client
    client.v1.payment_intents.confirm(payment.provider_reference)

    # when the merchant cancels it
    response = test_client.post(f"/v1/payments/{body['id']}/cancel", {}, format="json")

    # then Stripe's refusal is answered, and the payment is what Stripe says: captured
    error = assert_json_error(response, 400, "invalid_request_error", "payment_unexpected_state")
    assert "captured" in error["message"]
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == ("captured", 1000)
    assert payment.ledger_transactions.count() == 1
    call_command("ledger_check")


def test_j_stripe_3d_secure_completed_on_a_payment_held_for_review_ends_in_review(
    pay, merchant, stripe_proxy, stripe_account
):
    # given a payment screening holds for review, which Stripe sends to 3-D Secure
    FraudSettings.objects.create(
        merchant=merchant, three_d_secure_from=10, review_from=20, block_from=90
    )
    stripe_proxy.script[CONFIRM] = [_asks_for_3d_secure]
    body = pay(
        provider="stripe",
        return_url="https://shop.test/back",
        risk_context={"ip_address": "203.0.113.9", "ip_country": "DE"},  # 20 points
    ).json()
    assert (body["status"], body["risk"]["level"]) == ("requires_action", "review")
    payment = Payment.objects.get(pk=body["id"])

    # when the cardholder completes it at Stripe (which only authorizes: review first)
    # and comes back
    client = provider_for(ProviderAccount.objects.get(pk=stripe_account))._client
    client.v1.payment_intents.confirm(payment.provider_reference)
    payment = payment_sync(payment)

    # then it waits in the review queue, uncaptured, as after any other authorization
    assert (payment.status, payment.amount_received_minor) == ("in_review", 0)
    assert Review.objects.get(payment_id=payment.id).status == "open"
    assert _intent(stripe_account, payment.provider_reference)["status"] == "requires_capture"


def test_j2_a_payment_screening_sends_to_3d_secure_asks_stripe_for_a_challenge(
    pay, merchant, stripe_proxy, stripe_account
):
    # given screening that wants 3-D Secure from 10 points, and one payment scoring 20
    FraudSettings.objects.create(
        merchant=merchant, three_d_secure_from=10, review_from=50, block_from=90
    )
    stripe_proxy.script[CONFIRM] = [_asks_for_3d_secure]
    risky = {"ip_address": "203.0.113.9", "ip_country": "DE"}

    # when it and a payment screening lets through are sent to Stripe
    challenged = pay(provider="stripe", return_url="https://shop.test/b", risk_context=risky)
    plain = pay(provider="stripe")

    # then only the first PaymentIntent asks Stripe for the challenge
    assert (challenged.json()["status"], challenged.json()["risk"]["level"]) == (
        "requires_action", "three_d_secure"
    )  # fmt: skip
    assert plain.json()["status"] == "captured"
    created = [parse_qs(r.body.decode()) for r in stripe_proxy.calls("POST", "/payment_intents")]
    asked = "payment_method_options[card][request_three_d_secure]"
    assert [c.get(asked) for c in created] == [["any"], None]


def test_k_the_sandbox_challenge_page_does_not_answer_for_stripes(
    pay, stripe_proxy, stripe_account, client
):
    # given a payment sent to Stripe's 3-D Secure page
    stripe_proxy.script[CONFIRM] = [_asks_for_3d_secure]
    body = pay(provider="stripe", return_url="https://shop.test/back").json()
    ours = f"/hosted/payments/{body['id']}/authenticate?client_secret={body['client_secret']}"

    # when someone posts an answer to the simulator's challenge page instead
    answered = client.post(ours, {"client_secret": body["client_secret"], "result": "approve"})

    # then there is no such page for it, and nothing moved
    assert answered.status_code == 404
    payment = Payment.objects.get(pk=body["id"])
    assert payment.status == "requires_action"
    assert list(payment.operations.values_list("kind", flat=True)) == ["authorize"]


def test_l_an_operation_stripe_shows_was_never_carried_out_is_failed_after_the_window(
    pay, stripe_proxy, stripe_account, settings
):
    # given a confirmation Stripe answered with a 500 it stores and replays to every
    # resend under the key, without ever confirming
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_proxy.script[CONFIRM] = [SERVER_ERROR, SERVER_ERROR]
    body = pay(provider="stripe").json()
    assert _resolve() == 0  # the resend gets the stored 500 again

    # when the give-up window has passed
    later = timezone.now() + timedelta(seconds=settings.PROVIDER_OPERATION_GIVE_UP_AFTER + 60)
    with travel(later):
        resolved = operations_resolve_pending()

    # then it is failed without another send (which, a day on, Stripe would carry out)
    assert resolved == 1
    payment = Payment.objects.get(pk=body["id"])
    assert (payment.status, payment.failure_code) == ("failed", "processing_error")
    assert len(_confirm_keys(stripe_proxy)) == 2
    intent = payment.operations.get().provider_reference
    assert _intent(stripe_account, intent)["status"] == "requires_confirmation"
