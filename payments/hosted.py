"""Addresses of the hosted pages cardholders visit (3-D Secure challenge, checkout)."""

from django.conf import settings


def three_d_secure_url(payment) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/hosted/payments/{payment.id}/authenticate"


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
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/hosted/payments/{payment.id}/return"


def provider_next_action(payment, url: str) -> dict:
    """`next_action` sending the customer to a page of the provider's."""
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": url, "return_url": payment.return_url or None},
    }
