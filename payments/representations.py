"""How payments and refunds look from outside: in API responses and in event payloads.

One function per object builds the dict, used by the API views and by `event_emit`
snapshots alike, so a webhook's `data.object` is exactly what `GET` returns. The
serializer classes declare the same shape for the OpenAPI schema; rendering goes
straight to the function (a payment is rendered up to three times per request, and
DRF's generic field machinery was a quarter of the request's CPU time).
"""

from django.conf import settings
from rest_framework import serializers

from fraud.enums import Decision
from payments.enums import CaptureMethod
from payments.models import Payment, ProviderAccount, Refund


def _timestamp(value) -> int | None:
    return None if value is None else int(value.timestamp())


def payment_snapshot(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "object": "payment",
        "amount": payment.amount_minor,
        "amount_capturable": payment.amount_capturable_minor,
        "amount_received": payment.amount_received_minor,
        "amount_refunded": payment.amount_refunded_minor,
        "currency": payment.currency,
        "status": payment.status,
        "capture_method": payment.capture_method,
        "customer": payment.customer_id,
        "payment_method": payment.payment_method_id,
        "provider": payment.provider,
        "provider_reference": payment.provider_reference or None,
        "failure_code": payment.failure_code or None,
        "failure_message": payment.failure_message or None,
        "next_action": payment.next_action,
        "risk": payment.risk,
        "livemode": payment.livemode,
        "metadata": payment.metadata,
        "description": payment.description or None,
        "statement_descriptor": payment.statement_descriptor or None,
        "return_url": payment.return_url or None,
        "cancellation_reason": payment.cancellation_reason or None,
        "canceled_at": _timestamp(payment.canceled_at),
        "created": _timestamp(payment.created_at),
        "client_secret": payment.client_secret,
    }


# What a publishable key does not see of a payment, as Stripe shows a PaymentIntent to
# a publishable key: the merchant's own fields, and the risk reasons, which would tell a
# card tester which rule fired. The cardholder's page needs none of them.
HIDDEN_FROM_CLIENTS = frozenset(
    {
        "amount_capturable",
        "amount_received",
        "amount_refunded",
        "customer",
        "provider",
        "provider_reference",
        "risk",
        "metadata",
        "statement_descriptor",
        "return_url",
    }
)


def payment_client_view(payment: Payment) -> dict:
    return {
        key: value
        for key, value in payment_snapshot(payment).items()
        if key not in HIDDEN_FROM_CLIENTS
    }


def refund_snapshot(refund: Refund) -> dict:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount_minor,
        "currency": refund.currency,
        "payment": refund.payment_id,
        "status": refund.status,
        "reason": refund.reason or None,
        "failure_reason": refund.failure_reason or None,
        "metadata": refund.metadata,
        "livemode": refund.livemode,
        "created": _timestamp(refund.created_at),
    }


def provider_account_webhook_url(account: ProviderAccount) -> str | None:
    if account.provider == "simulator":
        return None
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/webhooks/{account.provider}/{account.id}"


def provider_account_snapshot(account: ProviderAccount) -> dict:
    """Never the credentials: not even a hint of them."""
    return {
        "id": account.id,
        "object": "provider_account",
        "provider": account.provider,
        "livemode": account.livemode,
        "priority": account.priority,
        "currencies": account.currencies,
        "card_brands": account.card_brands,
        "min_amount": account.min_amount_minor,
        "max_amount": account.max_amount_minor,
        "api_base": account.api_base or None,
        "status": account.status,
        "webhook_url": provider_account_webhook_url(account),
        "created": _timestamp(account.created_at),
    }


class _Representation(serializers.Serializer):
    """Declares a shape for the schema; renders with the snapshot function."""

    snapshot = None

    def to_representation(self, instance) -> dict:
        return type(self).snapshot(instance)


class RiskSerializer(serializers.Serializer):
    """How fraud screening judged the payment (null until it is confirmed)."""

    score = serializers.IntegerField(min_value=0, max_value=100)
    level = serializers.ChoiceField(
        choices=Decision.choices, help_text="The decision the score reached (SPEC §9 levels)."
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the rules that added points."
    )


class RedirectToUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    return_url = serializers.CharField(allow_null=True)


class NextActionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='Always "redirect_to_url".')
    redirect_to_url = RedirectToUrlSerializer()


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(allow_null=True, **kwargs)


class PaymentSerializer(_Representation):
    snapshot = payment_snapshot

    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "payment".')
    amount = serializers.IntegerField()
    amount_capturable = serializers.IntegerField()
    amount_received = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payment._meta.get_field("status").choices)
    capture_method = serializers.ChoiceField(choices=CaptureMethod.choices)
    customer = _text()
    payment_method = _text()
    provider = serializers.CharField()
    provider_reference = _text()
    failure_code = _text()
    failure_message = _text()
    next_action = NextActionSerializer(allow_null=True)
    risk = RiskSerializer(allow_null=True)
    livemode = serializers.BooleanField()
    metadata = serializers.DictField(child=serializers.CharField())
    description = _text()
    statement_descriptor = _text()
    return_url = _text()
    cancellation_reason = _text()
    canceled_at = serializers.IntegerField(allow_null=True)
    created = serializers.IntegerField()
    client_secret = serializers.CharField()


class PaymentClientSerializer(PaymentSerializer):
    """The payment as a publishable key sees it: without HIDDEN_FROM_CLIENTS."""

    snapshot = payment_client_view

    amount_capturable = amount_received = amount_refunded = None
    customer = provider = provider_reference = risk = metadata = None
    statement_descriptor = return_url = None


class RefundSerializer(_Representation):
    snapshot = refund_snapshot

    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "refund".')
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    payment = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "succeeded", "failed"])
    reason = _text()
    failure_reason = _text()
    metadata = serializers.DictField(child=serializers.CharField())
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()


class ProviderAccountSerializer(_Representation):
    snapshot = provider_account_snapshot

    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "provider_account".')
    provider = serializers.ChoiceField(choices=["simulator", "stripe", "paypal"])
    livemode = serializers.BooleanField()
    priority = serializers.IntegerField(help_text="Lower is tried first.")
    currencies = serializers.ListField(child=serializers.CharField(), help_text="Empty: any.")
    card_brands = serializers.ListField(child=serializers.CharField(), help_text="Empty: any.")
    min_amount = serializers.IntegerField(allow_null=True)
    max_amount = serializers.IntegerField(allow_null=True)
    api_base = _text()
    status = serializers.ChoiceField(choices=["active", "deleted"])
    webhook_url = _text(help_text="Where to point the provider's webhooks for this account.")
    created = serializers.IntegerField()


class DeletedObjectSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    deleted = serializers.BooleanField()
