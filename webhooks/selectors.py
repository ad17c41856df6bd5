"""Read use-cases for webhooks: the API, the fan-out, the admin and the commands."""

import logging

from django.db.models import Count, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from gateway.cache import cached_or_load, forget_on_commit
from gateway.crypto import unseal
from webhooks.enums import DeliveryStatus, EndpointStatus
from webhooks.event_types import is_subscribed
from webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# A change of endpoints reaches the (shared) cache at its commit; the expiry is a
# safety net for a change whose commit hook did not run (a process killed right then).
SUBSCRIPTIONS_CACHE_SECONDS = 60


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
    fields = ["id", "merchant_id", "livemode", "enabled_events", "earlier_enabled_events"]
    for endpoint in endpoints.only(*fields, "enabled_at"):
        key = (endpoint.merchant_id, endpoint.livemode)
        if key in owners:
            found.setdefault(key, []).append(endpoint)
    return found


def _subscriptions_key(merchant_id: str, livemode: bool) -> str:
    return f"webhooks:subscribed:{merchant_id}:{int(livemode)}"


def _subscriptions_load(merchant_id: str, livemode: bool) -> list[str]:
    endpoints = WebhookEndpoint.objects.live().filter(
        merchant_id=merchant_id, livemode=livemode, status=EndpointStatus.ENABLED
    )
    subscribed = endpoints.values_list("enabled_events", flat=True)
    return sorted({event_type for types in subscribed for event_type in types})


def endpoints_want_event(*, merchant_id: str, livemode: bool, type: str) -> bool:
    """Whether an enabled endpoint of the merchant in this mode subscribes to events of
    `type` (the outbox announces only those; gateway.events). Cached where the cache
    is shared, so that an endpoint change is heard by every process at its commit;
    read from the database each time otherwise. True whenever the cache cannot answer."""
    try:
        subscribed = cached_or_load(
            _subscriptions_key(merchant_id, livemode),
            lambda: _subscriptions_load(merchant_id, livemode),
            seconds=SUBSCRIPTIONS_CACHE_SECONDS,
        )
    except Exception:
        logger.warning("Webhook subscriptions unreadable for %s; announcing", merchant_id)
        return True
    return is_subscribed(subscribed, type)


@receiver([post_save, post_delete], sender=WebhookEndpoint)
def _forget_subscriptions(sender, instance: WebhookEndpoint, **kwargs) -> None:
    """Cache busting (the one use of signals here), once the change is committed."""
    forget_on_commit(_subscriptions_key(instance.merchant_id, instance.livemode))


def endpoint_secrets(endpoint: WebhookEndpoint, *, at=None) -> list[str]:
    """The secrets that sign now: the current one, then those rotated away in the last
    24 hours, newest first."""
    at = at or timezone.now()
    retired = endpoint.retired_secrets.filter(expires_at__gt=at).order_by("-expires_at")
    return [
        unseal(ciphertext, aad=endpoint.aad).decode()
        for ciphertext in (
            endpoint.secret_ciphertext,
            *retired.values_list("secret_ciphertext", flat=True),
        )
    ]


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


def delivery_timeline_rows(event_ids: list[str]) -> list[dict]:
    """Each delivery of these events, for the admin's timeline (gateway.timeline)."""
    deliveries = WebhookDelivery.objects.filter(event_id__in=event_ids).select_related(
        "event", "endpoint"
    )
    return [
        {
            "at": delivery.completed_at or delivery.created_at,
            "kind": "webhook",
            "what": f"{delivery.event.type} {delivery.status}",
            "detail": (
                f"{delivery.endpoint.url}: {delivery.attempt_count} attempt(s)"
                + (f", last HTTP {delivery.last_status_code}" if delivery.last_status_code else "")
            ),
        }
        for delivery in deliveries
    ]
