"""Webhook endpoints, one delivery per (event, endpoint), and every attempt.

An endpoint's status is a django-fsm field changed only by services. A delivery's
status moves by guarded UPDATEs in the services instead (claim, lease, record), since
workers race for deliveries and the database's row locks are the real guard.
"""

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition

from gateway.ids import PrefixedIdField
from webhooks.enums import DeliveryStatus, DisabledReason, EndpointStatus

E = EndpointStatus

# How long, and how many, earlier subscriptions an endpoint keeps: enough for any event
# to be dispatched (the sweeper takes one after a minute) under the list it was
# written under, even after workers were down for days.
EARLIER_ENABLED_EVENTS_KEPT = timedelta(days=7)
EARLIER_ENABLED_EVENTS_MAX = 100


class WebhookEndpointQuerySet(models.QuerySet):
    def live(self):
        """Not deleted: what the API and the fan-out see."""
        return self.filter(deleted_at__isnull=True)

    def for_merchant(self, merchant, *, livemode: bool):
        return self.live().filter(merchant=merchant, livemode=livemode)


class WebhookEndpoint(models.Model):
    """A merchant's URL for events of one mode. The signing secret is sealed at rest
    (gateway.crypto, bound to this row); after a rotation the secret it replaced keeps
    signing alongside it for a while (`RetiredSecret`)."""

    id = PrefixedIdField(prefix="we")
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    livemode = models.BooleanField()
    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=500, blank=True)
    enabled_events = models.JSONField(help_text='Event types, or ["*"] for every type')
    earlier_enabled_events = models.JSONField(
        default=list,
        db_default=[],  # rows written by a release before this column
        blank=True,
        help_text='Each earlier list and when it ended, oldest first: [{"until": ISO '
        'time, "enabled_events": [...]}]',
    )
    status = FSMField(choices=E.choices, default=E.ENABLED, protected=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True)
    secret_ciphertext = models.BinaryField()
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failure since the last success"
    )
    created_at = models.DateTimeField(default=timezone.now)
    enabled_at = models.DateTimeField(
        default=timezone.now,
        help_text="Created or last re-enabled: the endpoint gets only events from then on",
    )
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="webhook_endpoint_list"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.url}"

    @property
    def aad(self) -> bytes:
        """Binds the sealed secrets to this endpoint: a ciphertext copied elsewhere fails."""
        return f"webhook_endpoint:{self.id}:secret".encode()

    def enabled_events_at(self, at: datetime) -> list[str]:
        """The event types subscribed to at `at`: an event is dispatched as the
        endpoint subscribed when it was written (as at Stripe), however late."""
        for earlier in self.earlier_enabled_events:
            if at < datetime.fromisoformat(earlier["until"]):
                return earlier["enabled_events"]
        return self.enabled_events

    def subscribe(self, enabled_events: list[str], *, at: datetime) -> None:
        """Change the event types from `at` on, keeping the list it replaces."""
        if enabled_events == self.enabled_events:
            return
        kept = [
            earlier
            for earlier in self.earlier_enabled_events
            if datetime.fromisoformat(earlier["until"]) > at - EARLIER_ENABLED_EVENTS_KEPT
        ]
        replaced = {"until": at.isoformat(), "enabled_events": self.enabled_events}
        self.earlier_enabled_events = [*kept, replaced][-EARLIER_ENABLED_EVENTS_MAX:]
        self.enabled_events = enabled_events

    @transition(field=status, source=E.DISABLED, target=E.ENABLED)
    def enable(self) -> None:
        self.enabled_at = timezone.now()
        self.disabled_reason = ""
        self.failing_since = None

    @transition(field=status, source=E.ENABLED, target=E.DISABLED)
    def disable(self, *, reason: str) -> None:
        self.disabled_reason = reason


class RetiredSecret(models.Model):
    """A secret rotated away, which keeps signing until `expires_at` (SPEC §6: 24 hours),
    however many rotations come after it. Sealed like the endpoint's own secret, with
    the endpoint's binding (`WebhookEndpoint.aad`)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="retired_secrets"
    )
    secret_ciphertext = models.BinaryField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["endpoint", "expires_at"], name="retired_secret_live")]

    def __str__(self) -> str:
        return f"secret of {self.endpoint_id} retired until {self.expires_at:%Y-%m-%d %H:%M}"


class WebhookDelivery(models.Model):
    """One event for one endpoint. `webhook-id` is the event id on every attempt."""

    event = models.ForeignKey(
        "gateway.Event", on_delete=models.PROTECT, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    schedule_step = models.PositiveSmallIntegerField(
        default=0, help_text="Failed attempts since the schedule (re)started; a resend resets it"
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "status", "next_attempt_at"], name="webhook_delivery_due"
            ),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, kept for the merchant and support."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(
        null=True, help_text="Empty for a late result of a sender that had lost its lease"
    )
    started_at = models.DateTimeField()
    webhook_timestamp = models.BigIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True, help_text="First 1 KB of the answer")
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
