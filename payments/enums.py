from django.db import models


class PaymentStatus(models.TextChoices):
    CREATED = "created"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    IN_REVIEW = "in_review"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELED = "canceled"


class CaptureMethod(models.TextChoices):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class RefundStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundReason(models.TextChoices):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


class OperationKind(models.TextChoices):
    AUTHORIZE = "authorize"  # with capture_method=automatic this is a sale
    AUTHENTICATE = "authenticate"  # finish the 3-D Secure challenge of an authorization
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class OperationStatus(models.TextChoices):
    PENDING = "pending"  # reserved; the provider call has not answered (yet)
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"
    FAILED = "failed"


class CancellationReason(models.TextChoices):
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


class DeclineCode(models.TextChoices):
    GENERIC_DECLINE = "generic_decline"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    PROCESSING_ERROR = "processing_error"
    LIVE_MODE_TEST_CARD = "live_mode_test_card"
    FRAUD_BLOCKED = "fraud_blocked"
    AUTHENTICATION_REQUIRED = "authentication_required"
    AUTHENTICATION_FAILED = "authentication_failed"


class SimulateScenario(models.TextChoices):
    SUCCESS = "success"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NETWORK_TIMEOUT = "network_timeout"
    FRAUD_DETECTED = "fraud_detected"
    BANK_ERROR = "bank_error"


class ProviderName(models.TextChoices):
    SIMULATOR = "simulator"
    STRIPE = "stripe"
    PAYPAL = "paypal"


class ProviderAccountStatus(models.TextChoices):
    ACTIVE = "active"
    DELETED = "deleted"  # kept for the payments that used it and their late webhooks


class ProviderEventStatus(models.TextChoices):
    RECEIVED = "received"  # stored, waiting for the worker
    PROCESSED = "processed"
    IGNORED = "ignored"  # about nothing we track (another system's payment, a test ping)
    FAILED = "failed"  # the provider could not be asked; retried by the task
