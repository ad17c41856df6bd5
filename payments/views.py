"""Hosted pages (SPEC §10): checkout, the 3-D Secure challenge, the receipt, and the
page a customer comes back to from a provider's (PayPal approval, Stripe 3-D Secure).

Plain Django templates. Each page needs the payment's client secret (as a query
parameter, as in the URLs `payments.hosted` builds); without it, or with another
payment's, the page does not exist. The challenge form posts back here without a
CSRF token: no cookie grants anything on these pages, the client secret does, and a
page that cannot know it cannot post it (SPEC §5: submitting the form with `result`
completes the challenge, as Stripe's test page takes a plain POST). The checkout
page's script posts the card to the page's own URL with the client secret, and gets
the answer `POST /v1/payments/{id}/confirm` would give.
"""

import logging
import secrets

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.api.errors import NotFoundError
from gateway.api.fields import StrictInputSerializer
from gateway.money import Money
from merchants.permissions import check_takes_payments
from payments import hosted
from payments.api.payment_methods import BillingDetailsInputSerializer, CardInputSerializer
from payments.api.payments import browser_risk_context
from payments.enums import PaymentStatus, ProviderName
from payments.errors import OperationInProgress, PaymentUnexpectedState
from payments.models import Payment
from payments.providers.base import ProviderError
from payments.representations import PaymentClientSerializer
from payments.services.authentication import payment_authenticate
from payments.services.payments import payment_confirm
from payments.services.provider_sync import payment_sync

S = PaymentStatus
logger = logging.getLogger(__name__)


def _payment_with_secret(payment_id: str, secret: str) -> Payment | None:
    payment = (
        Payment.objects.select_related("merchant", "payment_method").filter(pk=payment_id).first()
    )
    if payment is None or not constant_time_compare(secret, payment.client_secret):
        return None
    return payment


def _payment(request, payment_id: str) -> Payment:
    secret = request.POST.get("client_secret") or request.GET.get("client_secret") or ""
    payment = _payment_with_secret(payment_id, secret)
    if payment is None:
        raise Http404("No such payment.")
    return payment


# Only this response's own inline style and script run; the page talks to its own
# origin only, and no other site may frame it (clickjacking a card form).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
)


def _page(request, template: str, payment: Payment, status: int = 200, **context):
    nonce = secrets.token_urlsafe(16)
    context = {
        "payment": payment,
        "merchant_name": payment.merchant.name,
        "amount": Money(payment.amount_minor, payment.currency),
        "card": payment.payment_method,
        "csp_nonce": nonce,
        **context,
    }
    response = render(request, f"hosted/{template}", context, status=status)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(nonce=nonce)
    return response


def _done(payment: Payment) -> HttpResponseRedirect:
    return HttpResponseRedirect(hosted.return_destination(payment))


class CheckoutCardInputSerializer(StrictInputSerializer):
    """What the checkout page's script posts: the card typed in, and whom it bills."""

    client_secret = serializers.CharField(max_length=100, allow_blank=True)  # wrong: a 404
    card = CardInputSerializer()
    billing_details = BillingDetailsInputSerializer(required=False)


class CheckoutPayment(APIView):
    """The checkout form's submission: confirm the payment with the card typed in.

    The client secret authorizes, as on every hosted page, and only a `created`
    payment can be confirmed: whoever holds a secret gets one card attempt, so this
    keyless endpoint tests no cards. It answers as `POST /v1/payments/{id}/confirm`
    with a publishable key does: the payment as a browser sees it, or the API's JSON
    error (a decline is the 402 naming the payment).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    schema = None  # a hosted page, not part of the /v1/ document

    def post(self, request, payment_id: str):
        serializer = CheckoutCardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = _payment_with_secret(payment_id, data["client_secret"])
        if payment is None:
            raise NotFoundError(f"No such payment: '{payment_id}'", param="id")
        check_takes_payments(payment.merchant)
        payment = payment_confirm(
            payment=payment,
            payment_method_data={
                "card": data["card"],
                "billing_details": data.get("billing_details"),
            },
            risk_context=browser_risk_context(request, None, payment=payment),
        )
        return Response(PaymentClientSerializer(payment).data)


_pay = CheckoutPayment.as_view()


@csrf_exempt  # the client secret in the body authorizes the POST (CheckoutPayment)
@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request, payment_id: str):
    """Card form for a payment created with `confirm=false`; it posts back here."""
    if request.method == "POST":
        return _pay(request, payment_id=payment_id)
    payment = _payment(request, payment_id)
    if payment.status == S.REQUIRES_ACTION:  # to its challenge, ours or its provider's
        return HttpResponseRedirect(payment.next_action["redirect_to_url"]["url"])
    if payment.status != S.CREATED:
        return HttpResponseRedirect(hosted.receipt_url(payment))
    config = {
        "client_secret": payment.client_secret,
        "return_url": payment.return_url,
        "receipt_url": hosted.receipt_url(payment),
        "redirect_statuses": hosted.REDIRECT_STATUSES,
        "added_to_return_url": hosted.ADDED_TO_RETURN_URL,
    }
    return _page(request, "checkout.html", payment, config=config)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def authenticate(request, payment_id: str):
    """The 3-D Secure challenge: approve or fail, then back to the merchant."""
    payment = _payment(request, payment_id)
    if payment.status == S.CREATED:
        raise Http404("This payment has not been confirmed: there is nothing to authenticate.")
    if payment.provider != ProviderName.SIMULATOR:
        raise Http404("This payment's challenge is on its provider's page.")
    if payment.status != S.REQUIRES_ACTION:
        if payment.status == S.CANCELED:
            return _page(
                request,
                "message.html",
                payment,
                status=410,
                title="Authentication expired",
                message="This payment was canceled; the authentication can no longer be done.",
            )
        return _done(payment)  # answered already (a second submit, the back button)
    if request.method == "GET":
        return _page(request, "authenticate.html", payment)
    result = request.POST.get("result")
    if result not in ("approve", "fail"):
        return _page(request, "authenticate.html", payment, status=400, error="Choose a result.")
    try:
        payment = payment_authenticate(payment=payment, approved=result == "approve")
    except PaymentUnexpectedState:
        payment.refresh_from_db()  # answered by a concurrent submit
    except OperationInProgress:  # the merchant is canceling it
        return _page(
            request, "authenticate.html", payment, status=409, error="Try again in a moment."
        )
    return _done(payment)


@never_cache
@require_http_methods(["GET"])
def receipt(request, payment_id: str):
    payment = _payment(request, payment_id)
    refunded = payment.amount_refunded_minor and Money(
        payment.amount_refunded_minor, payment.currency
    )
    return _page(request, "receipt.html", payment, refunded=refunded)


@never_cache
@require_http_methods(["GET"])
def provider_return(request, payment_id: str):
    """The customer is back from the provider: ask it what happened, then send them on
    (the merchant's return_url, or the receipt)."""
    payment = _payment(request, payment_id)
    try:
        payment = payment_sync(payment)
    except ProviderError:
        logger.warning("Provider unreachable on return for %s; the webhook will sync", payment.id)
    return _done(payment)
