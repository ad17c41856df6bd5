from django.db import models


class Decision(models.TextChoices):
    """What screening asks for, by score (SPEC §9); also the payment's `risk.level`."""

    APPROVE = "approve"  # 0-29 by default
    THREE_D_SECURE = "three_d_secure"  # 30-49: challenge the cardholder
    REVIEW = "review"  # 50-69: hold for a person (`in_review`)
    BLOCK = "block"  # 70+: `failed` with `fraud_blocked`, no provider call


class BlocklistType(models.TextChoices):
    CARD_FINGERPRINT = "card_fingerprint"
    EMAIL = "email"
    IP_ADDRESS = "ip_address"
    CARD_BIN = "card_bin"


class ReviewStatus(models.TextChoices):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELED = "canceled"  # the payment was canceled otherwise (merchant, expiry)
