from django.db import models


class MerchantStatus(models.TextChoices):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class ApiKeyKind(models.TextChoices):
    SECRET = "secret"  # noqa: S105 - a key kind, not a password
    PUBLISHABLE = "publishable"
