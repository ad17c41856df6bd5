from django.db import models
from django.utils import timezone


class SimulatedCharge(models.Model):
    """The acquirer's record of a card authorization and what became of it.

    It keeps the authorization request's idempotency key and the answer it got: a
    repeat of the key gets that answer, and authorizing is a single INSERT.
    """

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    answer = models.JSONField(help_text="what the authorization request was answered")
    livemode = models.BooleanField()
    status = models.CharField(max_length=16)  # authenticating, authorized, captured, voided, failed
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    amount_captured_minor = models.BigIntegerField(default=0)
    amount_refunded_minor = models.BigIntegerField(default=0)
    card_last4 = models.CharField(max_length=4)
    decline_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    captured_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.reference


class SimulatedRequest(models.Model):
    """Every mutating request on an existing charge (capture, void, refund, 3-D Secure)
    by idempotency key, with the answer it got: a repeat of the key gets the same
    answer and changes nothing (as at a real provider)."""

    idempotency_key = models.CharField(max_length=100, unique=True)
    operation = models.CharField(max_length=16)
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key}"
