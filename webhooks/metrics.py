"""The webhooks app's metrics: delivery attempts by outcome, and the lag of due deliveries
(served at /metrics by gateway.metrics)."""

from datetime import datetime

from prometheus_client import Counter

from webhooks.enums import DeliveryStatus
from webhooks.models import WebhookDelivery

SUCCEEDED, RETRYING, FAILED = "succeeded", "retrying", "failed"

ATTEMPTS = Counter(
    "gateway_webhook_attempts",
    "Webhook delivery attempts by outcome: succeeded; retrying (failed, another attempt "
    "is due); failed (failed, and the delivery is given up).",
    ["outcome"],
)


def attempts_counted(outcomes: list[str]) -> None:
    for outcome in set(outcomes):
        ATTEMPTS.labels(outcome).inc(outcomes.count(outcome))


def deliveries_oldest_due(now: datetime) -> datetime | None:
    """When the delivery that has waited longest became due: a pending one's next
    attempt, or the lease end of one whose sender stopped answering."""
    due = [
        WebhookDelivery.objects.filter(status=status, **{f"{moment}__lte": now})
        .order_by(moment)
        .values_list(moment, flat=True)
        .first()
        for status, moment in (
            (DeliveryStatus.PENDING, "next_attempt_at"),
            (DeliveryStatus.SENDING, "lease_until"),
        )
    ]
    return min((moment for moment in due if moment is not None), default=None)
