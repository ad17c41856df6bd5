"""Customers, the card vault, payments, refunds and provider operations.

Transitions only change this row's fields: no I/O, no saving, no events. Services
lock the row, run the transition, save, post to the ledger and emit the event in one
transaction. Amounts are integers in the currency's minor unit (`*_minor`).
"""

import json

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, transition

from gateway import crypto
from gateway.fsm import StateMachineModel
from gateway.idempotency import idempotency_key_link
from gateway.ids import PrefixedIdField
from payments.enums import (
    CancellationReason,
    CaptureMethod,
    OperationKind,
    OperationStatus,
    PaymentStatus,
    ProviderAccountStatus,
    ProviderEventStatus,
    ProviderName,
    RefundReason,
    RefundStatus,
)

S = PaymentStatus


class MerchantScopedQuerySet(models.QuerySet):
    def for_merchant(self, merchant, *, livemode: bool):
        """Only what this merchant owns in this mode: the basis of every API lookup."""
        return self.filter(merchant=merchant, livemode=livemode)


class Customer(models.Model):
    """A merchant's customer. E-mail, name and phone are sealed in the vault."""

    id = PrefixedIdField(prefix="cus")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT)
    livemode = models.BooleanField()
    pii_ciphertext = models.BinaryField(help_text="AES-GCM sealed JSON: email, name, phone")
    email_index = models.CharField(
        max_length=32, blank=True, help_text="keyed hash of the e-mail, for the email filter"
    )
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    default_payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = MerchantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="customer_list"),
            models.Index(fields=["merchant", "livemode", "email_index"], name="customer_email"),
        ]

    def __str__(self) -> str:
        return self.id


class PaymentMethod(models.Model):
    """A tokenized card. The PAN exists only as vault ciphertext; the CVC never here."""

    id = PrefixedIdField(prefix="pm")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT)
    livemode = models.BooleanField()
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_methods"
    )
    type = models.CharField(max_length=16, default="card")
    card_brand = models.CharField(max_length=16)
    card_last4 = models.CharField(max_length=4)
    card_bin = models.CharField(
        max_length=6, blank=True, help_text="first six digits, for screening (never exposed)"
    )
    card_exp_month = models.PositiveSmallIntegerField()
    card_exp_year = models.PositiveSmallIntegerField()
    card_fingerprint = models.CharField(max_length=64, help_text="keyed hash, per merchant")
    card_global_fingerprint = models.CharField(
        max_length=64, db_index=True, help_text="keyed hash across merchants; never exposed"
    )
    card_country = models.CharField(max_length=2, blank=True)
    card_funding = models.CharField(max_length=16, default="credit")
    card_ciphertext = models.BinaryField(help_text="AES-GCM sealed PAN")
    billing_ciphertext = models.BinaryField(help_text="AES-GCM sealed billing details")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    detached_at = models.DateTimeField(
        null=True, blank=True, help_text="detached from its customer: never usable again"
    )

    objects = MerchantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="payment_method_list"),
            models.Index(fields=["merchant", "card_fingerprint"], name="payment_method_fp"),
        ]

    def __str__(self) -> str:
        return f"{self.card_brand} •••• {self.card_last4}"


class ProviderAccount(models.Model):
    """A merchant's account at an upstream provider, in one mode, with routing rules.

    Credentials are sealed in the vault (bound to this row's id) and never leave it
    except to build the adapter. Payments are routed to the active accounts whose
    rules match, lowest `priority` first; an empty rule matches everything.
    """

    id = PrefixedIdField(prefix="pa")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT)
    livemode = models.BooleanField()
    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    credentials_ciphertext = models.BinaryField(help_text="AES-GCM sealed JSON credentials")
    priority = models.PositiveIntegerField(default=0, help_text="lower is tried first")
    currencies = models.JSONField(default=list, blank=True, help_text="empty: any")
    card_brands = models.JSONField(default=list, blank=True, help_text="empty: any")
    min_amount_minor = models.BigIntegerField(null=True, blank=True)
    max_amount_minor = models.BigIntegerField(null=True, blank=True)
    api_base = models.URLField(blank=True, help_text="provider URL override (tests, demos)")
    status = models.CharField(
        max_length=16, choices=ProviderAccountStatus.choices, default=ProviderAccountStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "priority", "id"],
                condition=Q(status="active"),
                name="provider_account_routing",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount_minor__isnull=True)
                | Q(max_amount_minor__isnull=True)
                | Q(min_amount_minor__lte=F("max_amount_minor")),
                name="provider_account_amount_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.id}"

    def matches(self, *, currency: str, amount_minor: int, card_brand: str | None) -> bool:
        """Whether this account's routing rules accept the payment."""
        if self.currencies and currency not in self.currencies:
            return False
        if self.card_brands and card_brand is not None and card_brand not in self.card_brands:
            return False
        if self.min_amount_minor is not None and amount_minor < self.min_amount_minor:
            return False
        return self.max_amount_minor is None or amount_minor <= self.max_amount_minor


class Payment(StateMachineModel):
    id = PrefixedIdField(prefix="pay")
    # Indexed first in payment_list: a single-column index would only slow writes.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, db_index=False)
    livemode = models.BooleanField()
    status = FSMField(choices=S.choices, default=S.CREATED, protected=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    amount_capturable_minor = models.BigIntegerField(default=0)
    amount_received_minor = models.BigIntegerField(default=0)
    amount_refunded_minor = models.BigIntegerField(
        default=0, help_text="succeeded and pending refunds"
    )
    fee_minor = models.BigIntegerField(default=0)
    capture_method = models.CharField(
        max_length=10, choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT)
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT
    )
    provider = models.CharField(max_length=16, default="simulator")
    provider_requested = models.CharField(
        max_length=16, blank=True, help_text="the `provider` the merchant asked for, if any"
    )
    provider_account = models.ForeignKey(
        ProviderAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the account of the latest attempt (empty: the built-in simulator)",
    )
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    next_action = models.JSONField(null=True, blank=True)
    risk = models.JSONField(null=True, blank=True)
    risk_context_ciphertext = models.BinaryField(
        null=True,
        blank=True,
        help_text="what the merchant told fraud screening (risk_context), sealed",
    )
    description = models.CharField(max_length=1000, blank=True)
    statement_descriptor = models.CharField(max_length=22, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    client_secret = models.CharField(max_length=80)
    off_session = models.BooleanField(default=False)
    simulate = models.CharField(max_length=24, blank=True)
    cancellation_reason = models.CharField(
        max_length=24, choices=CancellationReason.choices, blank=True
    )
    idempotency_key = idempotency_key_link(one_per_request=True)
    created_at = models.DateTimeField(default=timezone.now)
    authorized_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    objects = MerchantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        # Staff who may capture or void an authorization from the admin: the `admin`
        # group, not support (SPEC §3: view, refund up to a limit) nor finance.
        permissions = [("capture_or_cancel_payment", "Can capture or cancel payments")]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="payment_list"),
            models.Index(
                fields=["merchant", "livemode", "status", "-id"], name="payment_list_status"
            ),
            models.Index(
                fields=["authorized_at"],
                condition=Q(status="authorized"),
                name="payment_authorized_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded_minor__gte=0)
                & Q(amount_refunded_minor__lte=F("amount_received_minor"))
                & Q(amount_received_minor__lte=F("amount_minor"))
                & Q(amount_capturable_minor__gte=0)
                & Q(amount_capturable_minor__lte=F("amount_minor")),
                name="payment_amounts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.id

    @property
    def amount_refundable_minor(self) -> int:
        return self.amount_received_minor - self.amount_refunded_minor

    @property
    def risk_context(self) -> dict | None:
        """What the merchant told fraud screening: the customer's e-mail, IP address,
        device. Personal data, so sealed at rest as the vault's columns are, bound to
        this payment (`gateway.crypto`); kept until the authorization's outcome, which
        the card-testing guard counts by IP address."""
        if self.risk_context_ciphertext is None:
            return None
        return json.loads(crypto.unseal(self.risk_context_ciphertext, aad=self._risk_context_aad))

    @risk_context.setter
    def risk_context(self, value: dict | None) -> None:
        self.risk_context_ciphertext = (
            crypto.seal(json.dumps(value).encode(), aad=self._risk_context_aad) if value else None
        )

    @property
    def _risk_context_aad(self) -> bytes:
        return f"payment:{self.id}:risk_context".encode()

    # The columns the transitions below write: saving a transitioned payment writes these
    # (payment_save_and_emit), so a transition writing another one must add it here.
    TRANSITION_FIELDS = (
        "status",
        "amount_capturable_minor",
        "amount_received_minor",
        "fee_minor",
        "provider_reference",
        "failure_code",
        "failure_message",
        "next_action",
        "cancellation_reason",
        "authorized_at",
        "captured_at",
        "canceled_at",
    )

    # --- transitions (pure: fields of this row only) ------------------------------------

    @transition(field=status, source=S.CREATED, target=S.PROCESSING)
    def begin_authorization(self) -> None:
        """The authorization is reserved; the provider has not answered yet."""

    @transition(field=status, source=S.PROCESSING, target=S.PROCESSING)
    def await_customer(self, *, provider_reference: str, next_action: dict) -> None:
        """The provider took the payment and waits for the customer (PayPal approval)."""
        self.provider_reference = provider_reference
        self.next_action = next_action

    @transition(field=status, source=S.REQUIRES_ACTION, target=S.PROCESSING)
    def begin_authentication(self) -> None:
        """The cardholder finished the 3-D Secure challenge; the provider has not
        answered yet."""

    @transition(
        field=status, source=[S.PROCESSING, S.REQUIRES_ACTION, S.IN_REVIEW], target=S.AUTHORIZED
    )
    def authorize(self, *, provider_reference: str) -> None:
        self.provider_reference = provider_reference
        self.amount_capturable_minor = self.amount_minor
        self.authorized_at = timezone.now()
        self.next_action = None

    @transition(field=status, source=S.PROCESSING, target=S.REQUIRES_ACTION)
    def require_action(self, *, provider_reference: str, next_action: dict) -> None:
        self.provider_reference = provider_reference
        self.next_action = next_action

    @transition(
        field=status,
        source=[S.PROCESSING, S.REQUIRES_ACTION, S.AUTHORIZED, S.IN_REVIEW],
        target=S.CAPTURED,
    )
    def capture(self, *, amount_minor: int, fee_minor: int, provider_reference: str = "") -> None:
        """Record the capture of `amount_minor`; any uncaptured rest is released."""
        self.provider_reference = provider_reference or self.provider_reference
        self.amount_received_minor = amount_minor
        self.amount_capturable_minor = 0
        self.fee_minor = fee_minor
        now = timezone.now()
        self.authorized_at = self.authorized_at or now
        self.captured_at = now
        self.next_action = None

    @transition(
        field=status,
        source=[S.CREATED, S.PROCESSING, S.REQUIRES_ACTION, S.IN_REVIEW],
        target=S.FAILED,
    )
    def fail(self, *, code: str, message: str) -> None:
        self.failure_code = code
        self.failure_message = message
        self.amount_capturable_minor = 0
        self.next_action = None

    @transition(
        field=status,
        source=[S.CREATED, S.PROCESSING, S.REQUIRES_ACTION, S.AUTHORIZED, S.IN_REVIEW],
        target=S.CANCELED,
    )
    def cancel(self, *, reason: str = "") -> None:
        self.cancellation_reason = reason
        self.amount_capturable_minor = 0
        self.canceled_at = timezone.now()
        self.next_action = None

    @transition(field=status, source=[S.CREATED, S.AUTHORIZED], target=S.IN_REVIEW)
    def hold_for_review(self) -> None:
        """Fraud screening wants a person to look before money moves."""

    @transition(
        field=status,
        source=[S.CAPTURED, S.PARTIALLY_REFUNDED],
        target=RETURN_VALUE(S.PARTIALLY_REFUNDED, S.REFUNDED),
    )
    def settle_refund(self, *, refunded_succeeded_minor: int) -> str:
        """A refund succeeded; fully refunded once succeeded refunds reach the capture."""
        if refunded_succeeded_minor >= self.amount_received_minor:
            return S.REFUNDED
        return S.PARTIALLY_REFUNDED


class Refund(StateMachineModel):
    id = PrefixedIdField(prefix="re")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT)
    livemode = models.BooleanField()
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    status = FSMField(choices=RefundStatus.choices, default=RefundStatus.PENDING, protected=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=24, choices=RefundReason.choices, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_key = idempotency_key_link(one_per_request=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MerchantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "-id"], name="refund_list")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return self.id

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.SUCCEEDED)
    def succeed(self, *, provider_reference: str) -> None:
        self.provider_reference = provider_reference

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.FAILED)
    def fail(self, *, reason: str) -> None:
        self.failure_reason = reason


class ProviderOperation(models.Model):
    """One call to a provider, reserved before the call and resolved after it.

    `idempotency_key` is sent to the provider, so asking again (after a timeout, a
    crash or a retry) can never execute the operation twice upstream. `request_key`
    is the Idempotency-Key of the API request that reserved a capture or void, so
    that a retry of that request resumes it instead of starting another.
    """

    id = PrefixedIdField(prefix="op")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="operations")
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="operations"
    )
    kind = models.CharField(max_length=12, choices=OperationKind.choices)
    status = models.CharField(
        max_length=16, choices=OperationStatus.choices, default=OperationStatus.PENDING
    )
    provider = models.CharField(max_length=16)
    provider_account = models.ForeignKey(
        ProviderAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operations",
        help_text="where the call went (empty: the built-in simulator)",
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    request_key = idempotency_key_link()
    amount_minor = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=24, blank=True, help_text="why it was requested")
    provider_reference = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="operation_pending"
            ),
        ]
        constraints = [
            # Authorize, capture and void exclude each other; refunds may overlap.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status="pending") & ~Q(kind="refund"),
                name="operation_one_pending_per_payment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.payment_id} ({self.status})"


class ProviderEvent(models.Model):
    """A webhook event a provider sent us, stored once per provider event id.

    Only what routing the event needs is kept (type and object id): the worker asks
    the provider for the object's current state instead of trusting the payload, so
    duplicates and out-of-order deliveries converge on the provider's truth.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="events"
    )
    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=ProviderEventStatus.choices, default=ProviderEventStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_account", "event_id"], name="provider_event_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(status__in=["received", "failed"]),
                name="provider_event_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


# The ledger's models live in payments/ledger.py beside ledger_post(); importing them
# here registers them with the app.
from payments.ledger import LedgerEntry, LedgerTransaction  # noqa: E402

__all__ = [
    "Customer",
    "LedgerEntry",
    "LedgerTransaction",
    "Payment",
    "PaymentMethod",
    "ProviderAccount",
    "ProviderEvent",
    "ProviderOperation",
    "Refund",
]
