"""Idempotency keys (SPEC §4): one row per merchant, mode and `Idempotency-Key`.

The row is claimed (inserted) before the request runs and holds the final response
once it completes; a repeat replays that response byte for byte.
"""

from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE)
    livemode = models.BooleanField()
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the body")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    locked_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        app_label = "gateway"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "key"], name="idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
