"""The hosted checkout and 3-D Secure challenge in a real browser (SPEC §10): Debian's
Chromium, headless, driven by Playwright against a live server on 127.0.0.1.

The cardholder pays with the 3-D Secure test card on the checkout page (whose script
posts the card to the page's own URL with the client secret alone: the link carries no
API key), answers the challenge, and lands on the merchant's return URL.
"""

import http.server
import os
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections

from payments import hosted
from payments.models import Payment, PaymentMethod

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Chromium at {CHROMIUM}"),
]


class _Shop(http.server.BaseHTTPRequestHandler):
    """The merchant's site: the return URL answers "thank you"."""

    def do_GET(self):
        body = b"<html><body><h1>Thank you for your order</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def shop():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(live_server, tmp_path, monkeypatch):
    # Set up after the live server, so the browser is closed before the server stops.
    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user data dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        # ORM calls made while Playwright's loop runs get their own connection (asgiref
        # keys connections by context there): close it, or it outlives the test database.
        connections.close_all()


@pytest.fixture
def checkout(live_server, settings, test_client, shop):
    """`checkout()`: a payment created with confirm=false and its hosted checkout URL."""
    assert live_server.url.startswith("http://127.0.0.1:")
    settings.PUBLIC_BASE_URL = live_server.url

    def create(return_query: str = "") -> tuple[str, str]:
        payment = test_client.post(
            "/v1/payments",
            {
                "amount": 2500,
                "currency": "eur",
                "confirm": False,
                "description": "Order 1042",
                "return_url": f"{shop}/orders/1042/thanks{return_query}",
            },
            format="json",
        ).json()
        url = hosted.checkout_url(Payment.objects.get(pk=payment["id"]))
        assert url.startswith(f"{live_server.url}/hosted/payments/{payment['id']}/checkout?")
        return payment["id"], url

    return create


def _pay_with_the_3ds_card(page, url: str) -> None:
    page.goto(url)
    sync_api.expect(page.locator("#amount")).to_have_text("25.00 EUR")
    page.fill("#email", "jenny@example.com")
    page.fill("#number", "4000 0025 0000 3155")
    page.fill("#expiry", "12/34")
    page.fill("#cvc", "123")
    page.fill("#country", "us")
    page.click("#pay")
    page.wait_for_url("**/authenticate?**")
    sync_api.expect(page.locator("h1")).to_have_text("Confirm this payment")


def test_paying_with_3d_secure_and_approving_lands_on_the_return_url(page, checkout, shop):
    # given
    payment_id, url = checkout()

    # when
    _pay_with_the_3ds_card(page, url)
    page.click("#approve")
    page.wait_for_url(f"{shop}/orders/1042/thanks?**")

    # then
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"payment": [payment_id], "redirect_status": ["succeeded"]}
    sync_api.expect(page.locator("h1")).to_have_text("Thank you for your order")
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_received_minor) == ("captured", 2500)
    assert payment.risk["level"] == "approve"
    assert payment.risk_context["ip_address"] == "127.0.0.1"  # the browser's, at confirmation


def test_the_return_urls_own_query_comes_back_byte_for_byte(page, checkout, shop):
    # given a return URL a merchant signed, with a stale `payment` of its own
    payment_id, url = checkout("?next=/orders/1&sig=a~b%20c&payment=old#top")

    # when the card needs no challenge (the page's script sends the cardholder on)
    page.goto(url)
    page.fill("#number", "4242 4242 4242 4242")
    page.fill("#expiry", "12/34")
    page.fill("#cvc", "123")
    page.click("#pay")
    page.wait_for_url(f"{shop}/orders/1042/thanks?**")

    # then
    assert page.url == (
        f"{shop}/orders/1042/thanks?next=/orders/1&sig=a~b%20c"
        f"&payment={payment_id}&redirect_status=succeeded#top"
    )


def test_failing_the_challenge_fails_the_payment(page, checkout, shop):
    payment_id, url = checkout()

    _pay_with_the_3ds_card(page, url)
    page.click("#fail")
    page.wait_for_url(f"{shop}/orders/1042/thanks?**")

    assert parse_qs(urlsplit(page.url).query)["redirect_status"] == ["failed"]
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.failure_code) == ("failed", "authentication_failed")


def test_a_card_error_is_shown_on_the_checkout_page(page, checkout):
    payment_id, url = checkout()

    page.goto(url)
    page.fill("#number", "4242 4242 4242 4241")
    page.fill("#expiry", "12/34")
    page.fill("#cvc", "123")
    page.click("#pay")

    sync_api.expect(page.locator("#error")).to_have_text("Your card number is incorrect.")
    assert Payment.objects.get(pk=payment_id).status == "created"


def test_a_missing_expiry_is_asked_for_in_the_cardholders_words(page, checkout):
    payment_id, url = checkout()

    page.goto(url)
    page.fill("#number", "4242 4242 4242 4242")
    page.fill("#cvc", "123")
    page.click("#pay")

    sync_api.expect(page.locator("#error")).to_have_text("Enter the card's expiry date as MM/YY.")
    assert Payment.objects.get(pk=payment_id).status == "created"
    assert not PaymentMethod.objects.exists()
