"""`/v1/balance` and `/v1/balance_transactions`: what the ledger owes the merchant."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import CREATED_PARAMETERS
from gateway.api.fields import UnixTimestampField
from gateway.api.filters import CREATED, choice_filter, created_filter, known_parameters
from payments.api.common import referenced
from payments.ledger import TransactionType, merchant_balances
from payments.models import Payment, Refund
from payments.selectors import balance_transaction_list

# Merchants choose no currency of their own yet (a settlement currency comes with
# settlement, SPEC §8); the balance of one that has taken nothing is shown in this one.
NEW_ACCOUNT_CURRENCY = "usd"


class BalanceAmountSerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()


class BalanceSerializer(serializers.Serializer):
    object = serializers.CharField()
    available = BalanceAmountSerializer(many=True)
    pending = BalanceAmountSerializer(many=True)
    livemode = serializers.BooleanField()


class BalanceTransactionSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()
    fee = serializers.IntegerField(source="fee_minor")
    net = serializers.IntegerField(source="net_minor")
    currency = serializers.CharField()
    type = serializers.CharField()
    source = serializers.CharField(source="source_id")
    status = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")
    livemode = serializers.BooleanField()  # SPEC §2: objects carry it

    def get_object(self, txn) -> str:
        return "balance_transaction"

    def get_amount(self, txn) -> int:
        return txn.net_minor + txn.fee_minor

    def get_description(self, txn) -> str | None:
        return txn.description or None  # as Stripe: null, not ""

    def get_status(self, txn) -> str:
        return "available" if txn.available_minor else "pending"


class BalanceViewSet(ApiViewSet):
    """`GET /v1/balance`: one object, so a retrieve without an id (payments.api.urls)."""

    @extend_schema(responses={200: BalanceSerializer}, operation_id="balance_retrieve")
    def retrieve(self, request):
        """Funds owed to the merchant per currency: available and pending."""
        balances = merchant_balances(merchant_id=self.merchant.id, livemode=self.livemode)
        # As Stripe: each list names every currency the merchant has a balance in, and a
        # new account's lists show a zero in its currency.
        currencies = sorted(
            {currency for amounts in balances.values() for currency in amounts}
        ) or [NEW_ACCOUNT_CURRENCY]

        def amounts(bucket: str) -> list[dict]:
            return [
                {"amount": balances[bucket].get(currency, 0), "currency": currency}
                for currency in currencies
            ]

        return Response(
            {
                "object": "balance",
                "available": amounts("available"),
                "pending": amounts("pending"),
                "livemode": self.livemode,
            }
        )


class BalanceTransactionViewSet(ApiViewSet):
    def _source(self, source: str) -> Payment | Refund:
        """The payment or refund a `source` filter names: the caller's own, or a 400."""
        model, noun = (Refund, "refund") if source.startswith("re_") else (Payment, "payment")
        return referenced(self, model.objects, source, noun=noun, param="source")

    @extend_schema(responses=BalanceTransactionSerializer)
    def retrieve(self, request, pk=None):
        queryset = balance_transaction_list(merchant=self.merchant, livemode=self.livemode)
        return Response(
            BalanceTransactionSerializer(self.owned(queryset, pk, noun="balance_transaction")).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, enum=TransactionType.values),
            OpenApiParameter("source", str, description="A pay_… or re_… id"),
            *CREATED_PARAMETERS,
        ],
        responses=BalanceTransactionSerializer(many=True),
    )
    def list(self, request):
        """Ledger movements of the merchant's balance, newest first."""
        params = request.query_params
        known_parameters(params, "type", "source", *CREATED)
        filters = created_filter(params)
        if txn_type := choice_filter(params, "type", TransactionType.values):
            filters["type"] = txn_type
        if source := params.get("source"):
            filters["source_id"] = self._source(source).id
        queryset = balance_transaction_list(merchant=self.merchant, livemode=self.livemode)
        return self.paginated_response(queryset.filter(**filters), BalanceTransactionSerializer)
