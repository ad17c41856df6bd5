"""`/v1/provider_accounts`: a merchant's accounts at Stripe, PayPal or the simulator."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import error_responses
from gateway.api.fields import AmountField, CurrencyField, StrictInputSerializer
from gateway.api.filters import known_parameters
from payments.cards import BRANDS
from payments.enums import ProviderAccountStatus, ProviderName
from payments.models import ProviderAccount
from payments.representations import DeletedObjectSerializer, ProviderAccountSerializer
from payments.services.provider_accounts import provider_account_create, provider_account_delete


class ProviderAccountCreateInputSerializer(StrictInputSerializer):
    provider = serializers.ChoiceField(choices=ProviderName.values)
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=500),
        required=False,
        default=dict,
        help_text="stripe: {secret_key, webhook_secret?}; paypal: {client_id, client_secret, "
        "webhook_id?}; simulator: {}. Stored encrypted, never returned.",
    )
    priority = serializers.IntegerField(
        min_value=0, max_value=1000, default=0, help_text="Lower is tried first."
    )
    api_base = serializers.URLField(
        required=False,
        max_length=200,
        help_text="Provider URL override; only when the gateway allows it (tests, demos).",
    )
    currencies = serializers.ListField(
        child=CurrencyField(), required=False, max_length=200, help_text="Empty: any."
    )
    card_brands = serializers.ListField(
        child=serializers.ChoiceField(choices=[brand.name for brand in BRANDS]),
        required=False,
        max_length=20,
        help_text="Empty: any.",
    )
    min_amount = AmountField(required=False)
    max_amount = AmountField(required=False)


class ProviderAccountViewSet(ApiViewSet):
    def _account(self, pk: str) -> ProviderAccount:
        return self.owned(
            ProviderAccount.objects.filter(status=ProviderAccountStatus.ACTIVE),
            pk,
            noun="provider account",
        )

    @extend_schema(
        request=ProviderAccountCreateInputSerializer,
        responses={200: ProviderAccountSerializer, **error_responses(400)},
    )
    def create(self, request):
        """Add an account at a provider for the key's mode. Payments are routed over the
        active accounts whose rules accept them, lowest priority first."""
        data = self.parse(ProviderAccountCreateInputSerializer)
        account = provider_account_create(
            merchant=self.merchant,
            livemode=self.livemode,
            provider=data["provider"],
            credentials=dict(data["credentials"]),
            priority=data["priority"],
            api_base=data.get("api_base", ""),
            currencies=data.get("currencies"),
            card_brands=data.get("card_brands"),
            min_amount_minor=data.get("min_amount"),
            max_amount_minor=data.get("max_amount"),
            actor=self.actor,
        )
        return Response(ProviderAccountSerializer(account).data)

    @extend_schema(responses=ProviderAccountSerializer)
    def retrieve(self, request, pk=None):
        return Response(ProviderAccountSerializer(self._account(pk)).data)

    @extend_schema(responses=ProviderAccountSerializer(many=True))
    def list(self, request):
        """Active provider accounts, newest first."""
        known_parameters(request.query_params)
        queryset = ProviderAccount.objects.for_merchant(
            self.merchant, livemode=self.livemode
        ).filter(status=ProviderAccountStatus.ACTIVE)
        return self.paginated_response(queryset, ProviderAccountSerializer)

    @extend_schema(responses={200: DeletedObjectSerializer, **error_responses(404)})
    def destroy(self, request, pk=None):
        """Stop routing payments to the account. Its payments keep working (refunds,
        webhooks)."""
        account = provider_account_delete(account=self._account(pk), actor=self.actor)
        return Response({"id": account.id, "object": "provider_account", "deleted": True})
