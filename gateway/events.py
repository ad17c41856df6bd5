"""The transactional outbox: every state change writes its Event in the same transaction.

`event_emit` refuses to run outside an atomic block, so an event can never describe a
change that rolled back, and a change can never commit without its event. Delivery
to merchants reads from this table (`dispatched_at` marks what has been handed over).
"""

from django.db import models
from django.utils import timezone

from gateway.db import in_transaction
from gateway.ids import PrefixedIdField
from gateway.logging import request_id_var


class Event(models.Model):
    id = PrefixedIdField(prefix="evt")
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, related_name="events"
    )
    livemode = models.BooleanField()
    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40, help_text="The object the event is about")
    data = models.JSONField(help_text='{"object": snapshot of the object after the change}')
    request_id = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "gateway"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="event_list"),
            models.Index(fields=["object_id", "id"], name="event_object"),
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


def event_emit(*, type: str, snapshot: dict, merchant_id: str, livemode: bool) -> Event:
    """Record that `snapshot["id"]` changed; call inside the transaction of the change."""
    if not in_transaction():
        raise RuntimeError("event_emit must run inside the transaction of the change")
    return Event.objects.create(
        merchant_id=merchant_id,
        livemode=livemode,
        type=type,
        object_id=snapshot["id"],
        data={"object": snapshot},
        request_id=request_id_var.get() or "",
    )
