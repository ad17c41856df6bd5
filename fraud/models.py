"""Screening configuration per merchant, blocklists, assessments, reviews, counters.

Rows refer to payments by id only (a plain column, not a foreign key): fraud never
depends on the payments app.
"""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from fraud.enums import BlocklistType, Decision, ReviewStatus
from fraud.rules import RULES
from gateway.ids import PrefixedIdField

RULE_CHOICES = [(name, name) for name in RULES]


class FraudSettings(models.Model):
    """A merchant's screening thresholds (SPEC §9 levels). Without a row the defaults
    apply: 30 three-D Secure, 50 review, 70 block, every default rule on."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_settings"
    )
    is_enabled = models.BooleanField(
        default=True, help_text="Off: payments are not screened at all (not recommended)."
    )
    three_d_secure_from = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(100)], help_text="score that asks for 3-D Secure"
    )
    review_from = models.PositiveSmallIntegerField(
        default=50, validators=[MaxValueValidator(100)], help_text="score that holds for review"
    )
    block_from = models.PositiveSmallIntegerField(
        default=70, validators=[MaxValueValidator(100)], help_text="score that blocks"
    )

    class Meta:
        verbose_name = verbose_name_plural = "fraud settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(three_d_secure_from__lte=F("review_from"))
                & Q(review_from__lte=F("block_from"))
                & Q(block_from__lte=100),
                name="fraud_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"fraud settings of {self.merchant_id}"


class RuleSetting(models.Model):
    """One rule of one merchant switched on or off, with its weight in percent of the
    rule's points. Rules without a row keep their default (on at 100 %, except those
    off by default)."""

    settings = models.ForeignKey(FraudSettings, on_delete=models.CASCADE, related_name="rules")
    rule = models.CharField(max_length=40, choices=RULE_CHOICES)
    is_enabled = models.BooleanField(default=True)
    weight = models.PositiveSmallIntegerField(
        default=100, validators=[MaxValueValidator(1000)], help_text="percent of the rule's points"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["settings", "rule"], name="fraud_rule_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule} {'on' if self.is_enabled else 'off'} ({self.weight} %)"


class BlocklistItem(models.Model):
    """A card fingerprint, e-mail, IP address or BIN the merchant refuses (per mode)."""

    id = PrefixedIdField(prefix="bli")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE)
    livemode = models.BooleanField()
    type = models.CharField(max_length=20, choices=BlocklistType.choices)
    value = models.CharField(max_length=320, help_text="normalized: lower-case e-mail, ...")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "type", "value"], name="blocklist_item_unique"
            )
        ]
        indexes = [models.Index(fields=["merchant", "livemode", "-id"], name="blocklist_list")]

    def __str__(self) -> str:
        return f"{self.type}: {self.value}"


class Assessment(models.Model):
    """How one payment was screened: its inputs, each rule's points, score, decision."""

    payment_id = models.CharField(max_length=40, unique=True)
    # Indexed first in assessment_amounts.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, db_index=False)
    livemode = models.BooleanField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    score = models.PositiveSmallIntegerField()
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    points = models.JSONField(default=dict, help_text="rule -> weighted points")
    inputs = models.JSONField(default=dict, help_text="signals and facts (e-mail masked)")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The merchant's latest amounts in a currency: its usual amount.
            models.Index(
                fields=["merchant", "livemode", "currency", "-id"], name="assessment_amounts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.score} {self.decision}"


class Review(models.Model):
    """A payment held for manual review, from `in_review` until approved or rejected."""

    id = PrefixedIdField(prefix="prv")
    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="review")
    payment_id = models.CharField(max_length=40, unique=True)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT)
    livemode = models.BooleanField()
    status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["opened_at"], condition=Q(status="open"), name="review_open")
        ]

    def __str__(self) -> str:
        return f"review of {self.payment_id} ({self.status})"


class CounterEvent(models.Model):
    """Velocity counters on the embedded default (without Redis): one row per event,
    counted over a sliding window and purged after the longest one."""

    key = models.CharField(max_length=120)
    member = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="counter_event_window"),
            models.Index(fields=["at"], name="counter_event_age"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.member}"
