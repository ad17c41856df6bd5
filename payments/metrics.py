"""The payments app's metrics: payments by status and provider, and the lag of provider
operations waiting for an answer (served at /metrics by gateway.metrics)."""

from datetime import datetime

from prometheus_client import Counter

from payments.enums import OperationStatus
from payments.models import ProviderOperation

PAYMENTS = Counter(
    "gateway_payments",
    "Payments that reached each status, counted once the change commits.",
    ["status", "provider", "livemode"],
)


def payment_counted(*, status: str, provider: str, livemode: bool) -> None:
    PAYMENTS.labels(status, provider, str(livemode).lower()).inc()


def operations_oldest_pending(now: datetime) -> datetime | None:
    """When the oldest provider operation still waiting for its answer was reserved."""
    return (
        ProviderOperation.objects.filter(status=OperationStatus.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
