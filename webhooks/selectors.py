"""Read use-cases for webhooks: the API, the fan-out, the admin and the commands."""

from django.db.models import Count, QuerySet
from django.utils import timezone

from gateway.crypto import unseal
from webhooks.enums import DeliveryStatus, EndpointStatus
from webhooks.event_types import is_subscribed
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, merchant, livemode: bool) -> QuerySet:
    return WebhookEndpoint.objects.for_merchant(merchant, livemode=livemode)


def endpoint_list_subscribed(*, merchant_id: str, livemode: bool, event_type: str) -> list:
    """Enabled endpoints of this merchant and mode that want this event type.

    Filtered in Python: a merchant has a handful of endpoints, and this works the
    same on SQLite (no JSON containment lookup there).
    """
    endpoints = WebhookEndpoint.objects.live().filter(
        merchant_id=merchant_id, livemode=livemode, status=EndpointStatus.ENABLED
    )
    return [
        e
        for e in endpoints.only("id", "enabled_events")
        if is_subscribed(e.enabled_events, event_type)
    ]


def endpoints_for_owners(owners: set[tuple[str, bool]]) -> dict[tuple[str, bool], list]:
    """Enabled endpoints by (merchant id, livemode), for the fan-out of many events."""
    merchant_ids = {merchant_id for merchant_id, _ in owners}
    endpoints = WebhookEndpoint.objects.live().filter(
        merchant_id__in=merchant_ids, status=EndpointStatus.ENABLED
    )
    found: dict[tuple[str, bool], list] = {}
    for endpoint in endpoints.only("id", "merchant_id", "livemode", "enabled_events"):
        key = (endpoint.merchant_id, endpoint.livemode)
        if key in owners:
            found.setdefault(key, []).append(endpoint)
    return found


def endpoint_secrets(endpoint: WebhookEndpoint, *, at=None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during the
    24 hours after a rotation."""
    at = at or timezone.now()
    secrets = [unseal(endpoint.secret_ciphertext, aad=endpoint.aad).decode()]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_ciphertext and expires and expires > at:
        secrets.append(unseal(endpoint.previous_secret_ciphertext, aad=endpoint.aad).decode())
    return secrets


def deliveries_due_by_endpoint(*, at=None) -> dict[str, int]:
    """Endpoint id -> how many of its deliveries are waiting and due."""
    at = at or timezone.now()
    rows = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=at)
        .values("endpoint_id")
        .annotate(due=Count("id"))
        .values_list("endpoint_id", "due")
    )
    return dict(rows)
