"""What providers send us: webhooks, and customers coming back from their pages.

These are plain Django views, outside /v1/ and its API-key authentication: a webhook
proves itself by the provider's signature (Stripe) or the provider's verification
(PayPal), checked on the raw body before anything parses it; a return page proves
nothing and needs not to, as it only makes us ask the provider what happened.
"""

import logging
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from gateway.api.errors import ApiError, InvalidRequestError, NotFoundError, json_error_response
from gateway.api.views import require_methods
from payments.models import Payment, ProviderAccount
from payments.providers.base import ProviderError, WebhookInvalid
from payments.services.provider_accounts import provider_for
from payments.services.provider_events import provider_event_record

logger = logging.getLogger(__name__)


class ProviderUnreachable(ApiError):
    status_code = 503
    type = "api_error"
    code = "provider_unreachable"


@require_methods("POST")
def provider_webhook(request, provider: str, provider_account_id: str):
    """Verify, store once, acknowledge. 400 for a bad signature or a stale event (and
    nothing changes); 200 for a duplicate, which is not processed again."""
    account = ProviderAccount.objects.filter(pk=provider_account_id, provider=provider).first()
    if account is None:
        return json_error_response(NotFoundError("No such provider account.", param="id"))
    try:
        event = provider_for(account).webhook_event(request.body, request.headers)
    except WebhookInvalid as exc:
        logger.warning("Rejected %s webhook for %s: %s", provider, account.id, exc)
        return json_error_response(
            InvalidRequestError("The webhook could not be verified.", code="webhook_invalid")
        )
    except ProviderError:
        return json_error_response(
            ProviderUnreachable("The provider could not verify the webhook now; retry.")
        )
    stored = provider_event_record(account=account, event=event)
    return JsonResponse({"received": True, "duplicate": stored is None})


@require_GET
def provider_return(request, payment_id: str):
    """The customer is back from the provider: sync the payment, then send them on to
    the merchant's return_url (with `payment=<id>`)."""
    from payments.services.provider_sync import payment_sync

    payment = Payment.objects.filter(pk=payment_id).select_related("provider_account").first()
    if payment is None:
        return HttpResponse("Unknown payment.", status=404, content_type="text/plain")
    try:
        payment = payment_sync(payment)
    except ProviderError:
        logger.warning("Provider unreachable on return for %s; the webhook will sync", payment.id)
    if not payment.return_url:
        return HttpResponse(
            f"Payment {payment.id} is {payment.status}. You can close this window.",
            content_type="text/plain",
        )
    scheme, netloc, path, query, fragment = urlsplit(payment.return_url)
    query = f"{query}&" if query else ""
    query += urlencode({"payment": payment.id})
    return HttpResponseRedirect(urlunsplit((scheme, netloc, path, query, fragment)))
