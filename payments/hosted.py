"""Addresses of the hosted pages cardholders visit: checkout, 3-D Secure challenge,
receipt. Each carries the payment's client secret, which protects the page."""

from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from django.conf import settings


def _url(payment, page: str) -> str:
    query = urlencode({"client_secret": payment.client_secret})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/hosted/payments/{payment.id}/{page}?{query}"


def three_d_secure_url(payment) -> str:
    return _url(payment, "authenticate")


def checkout_url(payment) -> str:
    return _url(payment, "checkout")


def receipt_url(payment) -> str:
    return _url(payment, "receipt")


def three_d_secure_next_action(payment) -> dict:
    """SPEC §5: `next_action` sending the cardholder to our challenge page."""
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {
            "url": three_d_secure_url(payment),
            "return_url": payment.return_url or None,
        },
    }


def provider_return_url(payment) -> str:
    """Where a provider sends the customer back (PayPal approval, Stripe 3-D Secure):
    our page syncs the payment with the provider, then redirects to `return_url`."""
    return _url(payment, "return")


def provider_next_action(payment, url: str) -> dict:
    """`next_action` sending the customer to a page of the provider's."""
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": url, "return_url": payment.return_url or None},
    }


# The payment's status -> `redirect_status` on the return URL (anything else: failed).
# A refund later does not undo that the payment succeeded.
REDIRECT_STATUSES = {
    "captured": "succeeded",
    "partially_refunded": "succeeded",
    "refunded": "succeeded",
    "authorized": "succeeded",
    "in_review": "succeeded",
    "processing": "processing",
}
ADDED_TO_RETURN_URL = ("payment", "redirect_status")


def return_destination(payment) -> str:
    """Where the cardholder goes when a hosted page is done: the merchant's `return_url`
    with `payment` and `redirect_status` set (as Stripe adds `payment_intent`),
    replacing any the merchant's URL had, or our receipt. The rest of its query is
    kept byte for byte (a merchant may have signed it)."""
    if not payment.return_url:
        return receipt_url(payment)
    parts = urlsplit(payment.return_url)
    kept = [
        part
        for part in parts.query.split("&")
        if part and unquote_plus(part.partition("=")[0]) not in ADDED_TO_RETURN_URL
    ]
    status = REDIRECT_STATUSES.get(payment.status, "failed")
    added = urlencode({"payment": payment.id, "redirect_status": status})
    return urlunsplit(parts._replace(query="&".join([*kept, added])))
