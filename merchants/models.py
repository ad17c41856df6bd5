"""Merchants and their API keys. Transitions here only change fields; services save."""

from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition

from gateway.fsm import StateMachineModel
from gateway.ids import PrefixedIdField
from merchants.enums import ApiKeyKind, MerchantStatus

S = MerchantStatus


class Merchant(StateMachineModel):
    id = PrefixedIdField(prefix="mer")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    status = FSMField(choices=S.choices, default=S.PENDING, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    # The API authenticates a merchant, not a Django user; DRF asks this.
    is_authenticated = True

    @property
    def can_create_payments(self) -> bool:
        return self.status == S.ACTIVE

    @transition(field=status, source=[S.PENDING, S.SUSPENDED], target=S.ACTIVE)
    def activate(self) -> None:
        """Open a new merchant for business, or reinstate a suspended one."""

    @transition(field=status, source=S.ACTIVE, target=S.SUSPENDED)
    def suspend(self) -> None:
        """Stop new payments; refunds and reads keep working."""

    @transition(field=status, source=[S.PENDING, S.ACTIVE, S.SUSPENDED], target=S.CLOSED)
    def close(self) -> None:
        """Final: every key of the merchant stops authenticating."""


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, *, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at)
        )


class ApiKey(models.Model):
    """An API key, stored as a keyed hash; the plaintext is shown once, at creation.

    `prefix` (type, mode and the first characters of the random part) is not secret
    and finds the row; the HMAC of the whole key is compared in constant time.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=12, choices=ApiKeyKind.choices)
    livemode = models.BooleanField()
    prefix = models.CharField(max_length=24, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_secret(self) -> bool:
        return self.kind == ApiKeyKind.SECRET

    def is_usable(self, *, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class FeeRule(models.Model):
    """The merchant's processing fee in one currency (or every currency, when blank):
    `percent_bps` basis points of the amount plus `fixed_minor` minor units."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="fee_rules")
    currency = models.CharField(max_length=3, blank=True, help_text="blank: any currency")
    percent_bps = models.PositiveIntegerField(default=290)
    fixed_minor = models.PositiveBigIntegerField(default=30)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "currency"], name="fee_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(percent_bps__lte=10_000), name="fee_rule_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent_bps / 100:.2f}% + {self.fixed_minor} ({self.currency or 'any'})"
