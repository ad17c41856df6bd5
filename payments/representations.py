"""How payments and refunds look from outside: in API responses and in event payloads.

One serializer per object, used by the API views and by `event_emit` snapshots alike,
so a webhook's `data.object` is exactly what `GET` returns.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway.api.fields import UnixTimestampField
from payments.models import Payment, Refund


def _blank_to_none(value: str) -> str | None:
    return value or None


class RiskSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    level = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class RedirectToUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    return_url = serializers.CharField(allow_null=True)


class NextActionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["redirect_to_url"])
    redirect_to_url = RedirectToUrlSerializer()


class PaymentSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    amount = serializers.IntegerField(source="amount_minor")
    amount_capturable = serializers.IntegerField(source="amount_capturable_minor")
    amount_received = serializers.IntegerField(source="amount_received_minor")
    amount_refunded = serializers.IntegerField(source="amount_refunded_minor")
    customer = serializers.CharField(source="customer_id", allow_null=True)
    payment_method = serializers.CharField(source="payment_method_id", allow_null=True)
    provider_reference = serializers.SerializerMethodField()
    failure_code = serializers.SerializerMethodField()
    failure_message = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    statement_descriptor = serializers.SerializerMethodField()
    return_url = serializers.SerializerMethodField()
    cancellation_reason = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()
    risk = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")
    canceled_at = UnixTimestampField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "object",
            "amount",
            "amount_capturable",
            "amount_received",
            "amount_refunded",
            "currency",
            "status",
            "capture_method",
            "customer",
            "payment_method",
            "provider",
            "provider_reference",
            "failure_code",
            "failure_message",
            "next_action",
            "risk",
            "livemode",
            "metadata",
            "description",
            "statement_descriptor",
            "return_url",
            "cancellation_reason",
            "canceled_at",
            "created",
            "client_secret",
        ]

    def get_object(self, payment) -> str:
        return "payment"

    def get_provider_reference(self, payment) -> str | None:
        return _blank_to_none(payment.provider_reference)

    def get_failure_code(self, payment) -> str | None:
        return _blank_to_none(payment.failure_code)

    def get_failure_message(self, payment) -> str | None:
        return _blank_to_none(payment.failure_message)

    def get_description(self, payment) -> str | None:
        return _blank_to_none(payment.description)

    def get_statement_descriptor(self, payment) -> str | None:
        return _blank_to_none(payment.statement_descriptor)

    def get_return_url(self, payment) -> str | None:
        return _blank_to_none(payment.return_url)

    def get_cancellation_reason(self, payment) -> str | None:
        return _blank_to_none(payment.cancellation_reason)

    @extend_schema_field(NextActionSerializer(allow_null=True))
    def get_next_action(self, payment):
        return payment.next_action

    @extend_schema_field(RiskSerializer(allow_null=True))
    def get_risk(self, payment):
        return payment.risk


class RefundSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    amount = serializers.IntegerField(source="amount_minor")
    payment = serializers.CharField(source="payment_id")
    reason = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")

    class Meta:
        model = Refund
        fields = [
            "id",
            "object",
            "amount",
            "currency",
            "payment",
            "status",
            "reason",
            "failure_reason",
            "metadata",
            "livemode",
            "created",
        ]

    def get_object(self, refund) -> str:
        return "refund"

    def get_reason(self, refund) -> str | None:
        return _blank_to_none(refund.reason)

    def get_failure_reason(self, refund) -> str | None:
        return _blank_to_none(refund.failure_reason)


def payment_snapshot(payment: Payment) -> dict:
    return dict(PaymentSerializer(payment).data)


def refund_snapshot(refund: Refund) -> dict:
    return dict(RefundSerializer(refund).data)
