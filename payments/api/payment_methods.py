"""`/v1/payment_methods`: tokenize a card (secret or publishable key), retrieve, list a
customer's, attach and detach."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.errors import CardError, ForbiddenError
from gateway.api.fields import (
    CountryField,
    MetadataField,
    StrictInputSerializer,
    UnixTimestampField,
)
from merchants.permissions import IsAnyKey
from payments import selectors, vault
from payments.api.common import ListQueryInputSerializer, error_responses, referenced
from payments.cards import CardValidationError
from payments.models import Customer, PaymentMethod
from payments.services.payment_methods import (
    billing_details_normalize,
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
)

PAYMENT_METHOD_TYPES = ["card"]


class _CardValue(serializers.Field):
    """Passed through as sent: payments.cards checks card data and answers with Stripe's
    card errors (402, `incorrect_number`…), not with a generic 400."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class _CardString(_CardValue):
    pass


@extend_schema_field(OpenApiTypes.INT)
class _CardInteger(_CardValue):
    pass


class CardInputSerializer(StrictInputSerializer):
    """The card to tokenize."""

    number = _CardString(help_text="The card number; spaces and dashes are ignored.")
    exp_month = _CardInteger()
    exp_year = _CardInteger(help_text="Four digits (two are read as 20YY).")
    cvc = _CardString(required=False, help_text="Used once, never stored.")


class BillingAddressInputSerializer(StrictInputSerializer):
    """The cardholder's billing address; every field is optional."""

    city = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = CountryField(
        required=False, allow_blank=True, help_text="Two-letter ISO 3166-1 code."
    )
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    state = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BillingDetailsInputSerializer(StrictInputSerializer):
    """The cardholder's details, encrypted at rest; every field is optional."""

    address = BillingAddressInputSerializer(required=False)
    email = serializers.EmailField(max_length=512, required=False, allow_blank=True)
    name = serializers.CharField(max_length=256, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class PaymentMethodCreateInputSerializer(StrictInputSerializer):
    """A card to tokenize; unknown parameters are refused."""

    type = serializers.ChoiceField(choices=PAYMENT_METHOD_TYPES)
    card = CardInputSerializer()
    billing_details = BillingDetailsInputSerializer(required=False)
    metadata = MetadataField(required=False)
    customer = serializers.CharField(
        max_length=64, required=False, help_text="Attach to this customer (secret key only)."
    )


class PaymentMethodAttachInputSerializer(StrictInputSerializer):
    """The customer (of the same merchant and mode) to attach to."""

    customer = serializers.CharField(max_length=64)


class PaymentMethodDetachInputSerializer(StrictInputSerializer):
    """No parameters."""


class CustomerPaymentMethodsQueryInputSerializer(ListQueryInputSerializer):
    """Cursor parameters and an optional type filter."""

    type = serializers.ChoiceField(choices=PAYMENT_METHOD_TYPES, required=False)


class PaymentMethodListQueryInputSerializer(CustomerPaymentMethodsQueryInputSerializer):
    """As Stripe, the list needs the customer whose payment methods it shows."""

    customer = serializers.CharField(max_length=64, help_text="Required, as in Stripe.")


class CardOutputSerializer(serializers.Serializer):
    brand = serializers.CharField(source="card_brand")
    last4 = serializers.CharField(source="card_last4")
    exp_month = serializers.IntegerField(source="card_exp_month")
    exp_year = serializers.IntegerField(source="card_exp_year")
    fingerprint = serializers.CharField(
        source="card_fingerprint",
        help_text="The same card has the same fingerprint for one merchant; "
        "other merchants see another.",
    )
    country = serializers.CharField(source="card_country")
    funding = serializers.CharField(source="card_funding")


class BillingAddressOutputSerializer(serializers.Serializer):
    city = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    line1 = serializers.CharField(allow_null=True)
    line2 = serializers.CharField(allow_null=True)
    postal_code = serializers.CharField(allow_null=True)
    state = serializers.CharField(allow_null=True)


class BillingDetailsOutputSerializer(serializers.Serializer):
    address = BillingAddressOutputSerializer()
    email = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)


class PaymentMethodOutputSerializer(serializers.ModelSerializer):
    """Never the card number or CVC. Billing details come from the vault;
    `redact_pii` in the context renders them empty (event snapshots)."""

    object = serializers.SerializerMethodField()
    type = serializers.CharField(read_only=True)
    card = CardOutputSerializer(source="*")
    billing_details = serializers.SerializerMethodField()
    customer = serializers.CharField(source="customer_id", allow_null=True, read_only=True)
    metadata = MetadataField(read_only=True)
    created = UnixTimestampField(source="created_at")

    class Meta:
        model = PaymentMethod
        fields = [
            "id",
            "object",
            "type",
            "card",
            "billing_details",
            "customer",
            "metadata",
            "livemode",
            "created",
        ]

    def get_object(self, payment_method) -> str:
        return "payment_method"

    @extend_schema_field(BillingDetailsOutputSerializer)
    def get_billing_details(self, payment_method) -> dict:
        if self.context.get("redact_pii"):
            return billing_details_normalize(None)
        return billing_details_normalize(vault.billing_details(payment_method))


class PaymentMethodViewSet(ApiViewSet):
    queryset = PaymentMethod.objects.none()  # types the `id` path parameter in the schema only

    def get_permissions(self):
        if self.action == "create":
            return [IsAnyKey()]
        return super().get_permissions()

    def _payment_method(self, pk: str) -> PaymentMethod:
        return self.owned(PaymentMethod.objects, pk, noun="PaymentMethod")

    def _customer(self, pk: str) -> Customer:
        return referenced(self, Customer.objects, pk, noun="customer", param="customer")

    @extend_schema(
        operation_id="payment_methods_create",
        description="Tokenize a card. Allowed with a publishable key (`pk_…`), except "
        "with `customer`. The response never contains the card number or CVC.",
        request=PaymentMethodCreateInputSerializer,
        responses={200: PaymentMethodOutputSerializer, **error_responses(400, 402, 403)},
    )
    def create(self, request):
        data = self.parse(PaymentMethodCreateInputSerializer)
        customer = None
        if "customer" in data:
            if not request.auth.is_secret:
                raise ForbiddenError(
                    "Attaching to a customer needs a secret API key.",
                    code="secret_key_required",
                    param="customer",
                )
            customer = self._customer(data["customer"])
        try:
            payment_method, _card = payment_method_create(
                merchant=self.merchant,
                livemode=self.livemode,
                card=data["card"],
                billing_details=data.get("billing_details"),
                metadata=data.get("metadata"),
                customer=customer,
            )
        except CardValidationError as exc:
            raise CardError(exc.message, code=exc.code, param=exc.param) from None
        return Response(PaymentMethodOutputSerializer(payment_method).data)

    @extend_schema(
        operation_id="payment_methods_retrieve",
        responses={200: PaymentMethodOutputSerializer, **error_responses(404)},
    )
    def retrieve(self, request, pk=None):
        return Response(PaymentMethodOutputSerializer(self._payment_method(pk)).data)

    @extend_schema(
        operation_id="payment_methods_list",
        description="The payment methods attached to a customer, newest first.",
        parameters=[PaymentMethodListQueryInputSerializer],
        responses={200: PaymentMethodOutputSerializer(many=True), **error_responses(400)},
    )
    def list(self, request):
        query = self.parse_query(PaymentMethodListQueryInputSerializer)
        customer = self._customer(query["customer"])
        queryset = selectors.payment_method_list(
            merchant=self.merchant,
            livemode=self.livemode,
            customer=customer,
            type=query.get("type"),
        )
        return self.paginated_response(queryset, PaymentMethodOutputSerializer)

    @extend_schema(
        operation_id="payment_methods_attach",
        request=PaymentMethodAttachInputSerializer,
        responses={200: PaymentMethodOutputSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        """Attach to a customer of this merchant and mode."""
        payment_method = self._payment_method(pk)
        data = self.parse(PaymentMethodAttachInputSerializer)
        payment_method = payment_method_attach(
            payment_method=payment_method, customer=self._customer(data["customer"])
        )
        return Response(PaymentMethodOutputSerializer(payment_method).data)

    @extend_schema(
        operation_id="payment_methods_detach",
        request=PaymentMethodDetachInputSerializer,
        responses={200: PaymentMethodOutputSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def detach(self, request, pk=None):
        """Detach from its customer; a customer's default is cleared with it."""
        payment_method = self._payment_method(pk)
        self.parse(PaymentMethodDetachInputSerializer)
        payment_method = payment_method_detach(payment_method=payment_method)
        return Response(PaymentMethodOutputSerializer(payment_method).data)
