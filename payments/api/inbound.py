"""What providers send us: webhooks.

These are plain Django views, outside /v1/ and its API-key authentication: a webhook
proves itself by the provider's signature (Stripe) or the provider's verification
(PayPal), checked on the raw body before anything parses it. (Customers coming back
from a provider's page land on a hosted page, `payments.views.provider_return`.)
"""

import logging

from django.http import JsonResponse

from gateway.api.errors import ApiError, InvalidRequestError, NotFoundError, json_error_response
from gateway.api.views import require_methods
from payments.models import ProviderAccount
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
