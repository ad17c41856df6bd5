"""System checks: webhook settings that would lose or double deliveries are refused."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def webhook_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if not schedule or any(seconds < 0 for seconds in schedule):
        errors.append(
            Error(
                "WEBHOOK_RETRY_SCHEDULE needs at least one entry, none negative.",
                id="webhooks.E001",
            )
        )
    if settings.WEBHOOK_DELIVERY_LEASE <= settings.WEBHOOK_TIMEOUT:
        errors.append(
            Error(
                "WEBHOOK_DELIVERY_LEASE must exceed WEBHOOK_TIMEOUT, or deliveries still "
                "in flight would be sent again.",
                id="webhooks.E002",
            )
        )
    if settings.WEBHOOK_ENDPOINT_CONCURRENCY < 1:
        errors.append(Error("WEBHOOK_ENDPOINT_CONCURRENCY must be at least 1.", id="webhooks.E003"))
    return errors
