"""`/v1/customers`: create, retrieve, update (POST to the object), list, and the
customer's payment methods."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import CREATED_PARAMETERS
from gateway.api.fields import MetadataField, StrictInputSerializer, UnixTimestampField
from gateway.api.filters import CREATED, created_filter, known_parameters
from payments import selectors, vault
from payments.api.common import ListQueryInputSerializer, error_responses, referenced
from payments.api.payment_methods import (
    CustomerPaymentMethodsQueryInputSerializer,
    PaymentMethodOutputSerializer,
)
from payments.models import Customer, PaymentMethod
from payments.services.customers import customer_create, customer_update

NO_PII = {"email": "", "name": "", "phone": ""}


class CustomerCreateInputSerializer(StrictInputSerializer):
    """A new customer; every field is optional, unknown ones are refused."""

    email = serializers.EmailField(max_length=512, required=False, allow_blank=True)
    name = serializers.CharField(max_length=256, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    metadata = MetadataField(required=False)


class CustomerUpdateInputSerializer(StrictInputSerializer):
    """Only the given fields change; null or "" clears a field. Metadata is merged:
    an empty value removes its key, null removes every key."""

    email = serializers.EmailField(
        max_length=512, required=False, allow_blank=True, allow_null=True
    )
    name = serializers.CharField(max_length=256, required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True)
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True
    )
    metadata = MetadataField(required=False, allow_null=True)
    default_payment_method = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A payment method attached to this customer; null or empty to clear.",
    )


class CustomerOutputSerializer(serializers.ModelSerializer):
    """E-mail, name and phone come from the vault; `redact_pii` in the context renders
    them as null (event snapshots, which are stored in clear)."""

    object = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    metadata = MetadataField(read_only=True)
    default_payment_method = serializers.CharField(
        source="default_payment_method_id", allow_null=True, read_only=True
    )
    created = UnixTimestampField(source="created_at")

    class Meta:
        model = Customer
        fields = [
            "id",
            "object",
            "email",
            "name",
            "phone",
            "description",
            "metadata",
            "default_payment_method",
            "livemode",
            "created",
        ]

    def to_representation(self, customer):
        # One vault open per customer, read by the three get_* methods below.
        self._pii = NO_PII if self.context.get("redact_pii") else vault.customer_pii(customer)
        return super().to_representation(customer)

    def get_object(self, customer) -> str:
        return "customer"

    def get_email(self, customer) -> str | None:
        return self._pii.get("email") or None

    def get_name(self, customer) -> str | None:
        return self._pii.get("name") or None

    def get_phone(self, customer) -> str | None:
        return self._pii.get("phone") or None

    def get_description(self, customer) -> str | None:
        return customer.description or None


class CustomerViewSet(ApiViewSet):
    queryset = Customer.objects.none()  # types the `id` path parameter in the schema only

    @extend_schema(
        operation_id="customers_create",
        request=CustomerCreateInputSerializer,
        responses={200: CustomerOutputSerializer, **error_responses(400)},
    )
    def create(self, request):
        """Create a customer. E-mail, name and phone are encrypted at rest."""
        data = self.parse(CustomerCreateInputSerializer)
        customer = customer_create(merchant=self.merchant, livemode=self.livemode, **data)
        return Response(CustomerOutputSerializer(customer).data)

    @extend_schema(
        operation_id="customers_retrieve",
        responses={200: CustomerOutputSerializer, **error_responses(404)},
    )
    def retrieve(self, request, pk=None):
        customer = self.owned(Customer.objects, pk, noun="customer")
        return Response(CustomerOutputSerializer(customer).data)

    @extend_schema(
        operation_id="customers_update",
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerOutputSerializer, **error_responses(400, 404)},
    )
    def update(self, request, pk=None):
        """Update the given fields (POST to the customer, as in Stripe)."""
        customer = self.owned(Customer.objects, pk, noun="customer")
        data = self.parse(CustomerUpdateInputSerializer)
        if data.get("default_payment_method"):
            data["default_payment_method"] = referenced(
                self,
                PaymentMethod.objects,
                data["default_payment_method"],
                noun="PaymentMethod",
                param="default_payment_method",
            )
        elif "default_payment_method" in data:
            data["default_payment_method"] = None
        customer = customer_update(customer=customer, **data)
        return Response(CustomerOutputSerializer(customer).data)

    @extend_schema(
        operation_id="customers_list",
        parameters=[
            ListQueryInputSerializer,
            OpenApiParameter(
                "email", str, description="Only customers with exactly this e-mail (case counts)"
            ),
            *CREATED_PARAMETERS,
        ],
        responses={200: CustomerOutputSerializer(many=True), **error_responses(400)},
    )
    def list(self, request):
        """The merchant's customers in this mode, newest first."""
        known_parameters(request.query_params, "email", *CREATED)
        queryset = selectors.customer_list(
            merchant=self.merchant, livemode=self.livemode, email=request.query_params.get("email")
        )
        created = created_filter(request.query_params)
        return self.paginated_response(queryset.filter(**created), CustomerOutputSerializer)

    @extend_schema(
        operation_id="customers_payment_methods_list",
        parameters=[CustomerPaymentMethodsQueryInputSerializer],
        responses={
            200: PaymentMethodOutputSerializer(many=True),
            **error_responses(400, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path="payment_methods")
    def payment_methods(self, request, pk=None):
        """The payment methods attached to this customer, newest first."""
        customer = self.owned(Customer.objects, pk, noun="customer")
        query = self.parse_query(CustomerPaymentMethodsQueryInputSerializer)
        queryset = selectors.payment_method_list(
            merchant=self.merchant,
            livemode=self.livemode,
            customer=customer,
            type=query.get("type"),
        )
        return self.paginated_response(queryset, PaymentMethodOutputSerializer)
