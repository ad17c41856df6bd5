"""3-D Secure on the hosted challenge page (SPEC §5, §9, §10) with Django's test client,
CSRF checks on; abandoned challenges expire."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from gateway.events import Event
from payments.enums import OperationKind
from payments.models import Payment, ProviderOperation
from payments.services.authentication import payments_expire_authentications
from payments.services.operations import operation_reserve
from payments.tests.conftest import card_data
from simulator.models import SimulatedCharge

pytestmark = pytest.mark.django_db

THREE_DS = "4000002500003155"


@pytest.fixture
def challenged(pay):
    """`challenged(**body)`: a payment with the 3-D Secure card, in requires_action."""

    def create(**body):
        body.setdefault("payment_method_data", card_data(THREE_DS))
        body.setdefault("return_url", "https://shop.test/order/7?step=done")
        response = pay(**body)
        assert response.json()["status"] == "requires_action", response.json()
        return response.json()

    return create


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _answer(browser, payment: dict, result: str):
    page = browser.get(_path(payment["next_action"]["redirect_to_url"]["url"]))
    assert page.status_code == 200
    return browser.post(
        urlsplit(payment["next_action"]["redirect_to_url"]["url"]).path,
        {"client_secret": payment["client_secret"], "result": result},
    )


def test_the_challenge_page_shows_the_payment(browser, challenged):
    payment = challenged()

    page = browser.get(_path(payment["next_action"]["redirect_to_url"]["url"]))

    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("10.00 USD", "Acme Shop", "ending in 3155"):
        assert shown in html
    assert page["Cache-Control"].startswith("max-age=0")
    assert page["X-Frame-Options"] == "DENY"


def test_approving_the_challenge_captures_and_returns_to_the_merchant(browser, challenged):
    # given
    payment = challenged()

    # when
    response = _answer(browser, payment, "approve")

    # then
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.netloc, target.path) == ("shop.test", "/order/7")
    assert parse_qs(target.query) == {
        "step": ["done"],
        "payment": [payment["id"]],
        "redirect_status": ["succeeded"],
    }
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.amount_received_minor, stored.next_action) == (
        "captured",
        1000,
        None,
    )
    assert stored.ledger_transactions.count() == 1
    assert SimulatedCharge.objects.get(reference=stored.provider_reference).status == "captured"
    kinds = list(stored.operations.order_by("id").values_list("kind", "status"))
    assert kinds == [("authorize", "requires_action"), ("authenticate", "succeeded")]
    events = Event.objects.filter(object_id=stored.id).order_by("id").values_list("type", flat=True)
    assert list(events)[-3:] == [
        "payment.requires_action",
        "payment.processing",
        "payment.captured",
    ]


def test_failing_the_challenge_fails_the_payment(browser, challenged):
    payment = challenged()

    response = _answer(browser, payment, "fail")

    assert parse_qs(urlsplit(response["Location"]).query)["redirect_status"] == ["failed"]
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.failure_code) == ("failed", "authentication_failed")
    assert not stored.ledger_transactions.exists()


def test_manual_capture_is_authorized_after_the_challenge(browser, challenged):
    payment = challenged(capture_method="manual")

    _answer(browser, payment, "approve")

    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.status, stored.amount_capturable_minor) == ("authorized", 1000)


def test_without_return_url_the_cardholder_lands_on_the_receipt(browser, challenged):
    payment = challenged(return_url="https://shop.test/x")
    Payment.objects.filter(pk=payment["id"]).update(return_url="")

    response = _answer(browser, payment, "approve")

    assert f"/hosted/payments/{payment['id']}/receipt?client_secret=" in response["Location"]
    receipt = browser.get(_path(response["Location"]))
    assert receipt.status_code == 200
    assert b"Payment received" in receipt.content


def test_a_second_answer_changes_nothing(browser, challenged):
    payment = challenged()
    _answer(browser, payment, "approve")

    again = browser.post(
        urlsplit(payment["next_action"]["redirect_to_url"]["url"]).path,
        {"client_secret": payment["client_secret"], "result": "fail"},
    )

    assert again.status_code == 302
    assert "redirect_status=succeeded" in again["Location"]
    assert Payment.objects.get(pk=payment["id"]).status == "captured"
    assert ProviderOperation.objects.filter(kind="authenticate").count() == 1


def test_the_return_url_gets_one_payment_and_one_redirect_status(browser, challenged):
    # given: a return_url that already names them (say, a template the shop reuses)
    payment = challenged(return_url="https://shop.test/done?redirect_status=succeeded&payment=x")

    # when: the challenge fails
    response = _answer(browser, payment, "fail")

    # then: ours replace them: no page reads a stale "succeeded"
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "payment": [payment["id"]],
        "redirect_status": ["failed"],
    }


def test_the_rest_of_the_return_urls_query_is_kept_byte_for_byte(browser, challenged):
    payment = challenged(return_url="https://shop.test/done?flag&sig=a%7Eb+c&redirect_status=x")

    response = _answer(browser, payment, "approve")

    query = urlsplit(response["Location"]).query
    assert query == f"flag&sig=a%7Eb+c&payment={payment['id']}&redirect_status=succeeded"


def test_a_refunded_payment_still_returns_as_succeeded(browser, challenged, test_client):
    payment = challenged()
    _answer(browser, payment, "approve")
    test_client.post(f"/v1/payments/{payment['id']}/refund", {}, format="json")

    again = browser.get(_path(payment["next_action"]["redirect_to_url"]["url"]))

    assert Payment.objects.get(pk=payment["id"]).status == "refunded"
    assert parse_qs(urlsplit(again["Location"]).query)["redirect_status"] == ["succeeded"]


def test_an_unconfirmed_payment_has_no_challenge_page(browser, pay):
    created = pay(confirm=False).json()

    page = browser.get(
        f"/hosted/payments/{created['id']}/authenticate?client_secret={created['client_secret']}"
    )

    assert page.status_code == 404
    assert Payment.objects.get(pk=created["id"]).status == "created"


def test_the_challenge_needs_the_client_secret(browser, challenged, pay):
    payment = challenged()
    other = challenged()
    path = urlsplit(payment["next_action"]["redirect_to_url"]["url"]).path

    for query in ("", "?client_secret=wrong", f"?client_secret={other['client_secret']}"):
        assert browser.get(path + query).status_code == 404
    assert browser.get("/hosted/payments/pay_x/authenticate?client_secret=x").status_code == 404


def test_a_plain_post_of_the_challenge_url_answers_it(challenged):
    # given: no page was loaded, no cookie is kept, CSRF checks are on (SPEC §5: the
    # form is submitted with `result`; the client secret in the URL is what authorizes)
    payment = challenged()
    url = _path(payment["next_action"]["redirect_to_url"]["url"])

    # when
    response = Client(enforce_csrf_checks=True).post(url, {"result": "approve"})

    # then
    assert response.status_code == 302
    assert "redirect_status=succeeded" in response["Location"]
    assert Payment.objects.get(pk=payment["id"]).status == "captured"


def test_a_post_without_the_client_secret_answers_nothing(browser, challenged):
    payment = challenged()
    path = urlsplit(payment["next_action"]["redirect_to_url"]["url"]).path

    response = browser.post(path, {"result": "approve"})

    assert response.status_code == 404
    assert Payment.objects.get(pk=payment["id"]).status == "requires_action"


def test_an_unknown_result_is_refused(browser, challenged):
    payment = challenged()

    response = _answer(browser, payment, "maybe")

    assert response.status_code == 400
    assert Payment.objects.get(pk=payment["id"]).status == "requires_action"


def test_abandoned_challenges_expire(browser, challenged, settings):
    # given one challenge older than the timeout and one fresh
    settings.THREE_D_SECURE_TIMEOUT = 600
    old, fresh = challenged(), challenged()
    ProviderOperation.objects.filter(payment_id=old["id"]).update(
        resolved_at=timezone.now() - timedelta(seconds=601)
    )

    # when
    expired = payments_expire_authentications()

    # then
    assert expired == 1
    stored = Payment.objects.get(pk=old["id"])
    assert (stored.status, stored.cancellation_reason) == ("canceled", "abandoned")
    assert Payment.objects.get(pk=fresh["id"]).status == "requires_action"
    page = browser.get(_path(old["next_action"]["redirect_to_url"]["url"]))
    assert page.status_code == 410


def test_a_lost_answer_is_resolved_later(challenged, monkeypatch):
    """The provider call of the challenge times out: the payment stays processing and
    the resolver applies the acquirer's answer under the same key."""
    from payments.providers.base import ProviderTimeout
    from payments.providers.simulator import SimulatorProvider
    from payments.services.authentication import payment_authenticate
    from payments.services.resolution import operations_resolve_pending

    payment = Payment.objects.get(pk=challenged()["id"])
    original = SimulatorProvider.complete_authentication

    def lost(self, **kwargs):
        original(self, **kwargs)
        raise ProviderTimeout("answer lost")

    monkeypatch.setattr(SimulatorProvider, "complete_authentication", lost)
    assert payment_authenticate(payment=payment, approved=True).status == "processing"
    monkeypatch.undo()

    assert operations_resolve_pending(older_than=timedelta(0)) == 1
    assert Payment.objects.get(pk=payment.pk).status == "captured"


def test_the_simulator_completes_authentication_once_per_key():
    from simulator import acquirer

    charge = acquirer.authorize(
        idempotency_key="k-auth",
        amount_minor=500,
        currency="usd",
        card_number=THREE_DS,
        capture=True,
        livemode=False,
        off_session=False,
        scenario="",
    )
    assert charge["result"] == "requires_action"

    first = acquirer.complete_authentication(
        idempotency_key="k-3ds", reference=charge["reference"], approved=True, capture=False
    )
    repeat = acquirer.complete_authentication(
        idempotency_key="k-3ds", reference=charge["reference"], approved=False, capture=True
    )
    other_key = acquirer.complete_authentication(
        idempotency_key="k-3ds-2", reference=charge["reference"], approved=True, capture=True
    )

    assert first == repeat
    assert (first["result"], first["status"]) == ("succeeded", "authorized")
    assert other_key["result"] == "failed"  # no longer awaiting authentication


def test_an_answer_while_a_cancels_void_waits_on_the_provider_is_asked_again(browser, challenged):
    # given the merchant's cancel, its void still waiting for the provider's answer
    payment = challenged()
    with transaction.atomic():
        operation_reserve(payment=Payment.objects.get(pk=payment["id"]), kind=OperationKind.VOID)

    # when the cardholder approves the challenge
    response = _answer(browser, payment, "approve")

    # then they are asked to try again, and nothing moved
    assert response.status_code == 409
    assert "Try again in a moment." in response.content.decode()
    assert Payment.objects.get(pk=payment["id"]).status == "requires_action"
    assert not SimulatedCharge.objects.filter(amount_captured_minor__gt=0).exists()
