from django.db import models


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # a worker holds it until lease_until
    SUCCEEDED = "succeeded"  # the endpoint answered 2xx
    FAILED = "failed"  # every attempt failed, or the endpoint was disabled


class DisabledReason(models.TextChoices):
    MERCHANT = "merchant", "Disabled by the merchant"
    GONE = "gone", "The endpoint answered 410 Gone"
    FAILING = "failing", "Every delivery failed for the disable window"
    STAFF = "staff", "Disabled by staff"
