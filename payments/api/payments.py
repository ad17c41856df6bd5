"""`/v1/payments`: create, confirm, capture, cancel, refund, retrieve, list."""

from django.core.validators import RegexValidator
from django.utils.crypto import constant_time_compare
from drf_spectacular.utils import OpenApiParameter, extend_schema
from iso3166 import countries_by_alpha2
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import CREATED_PARAMETERS, error_responses
from gateway.api.errors import ForbiddenError, InvalidRequestError
from gateway.api.fields import (
    AmountField,
    CountryField,
    CurrencyField,
    IPAddressField,
    MetadataField,
    StrictBooleanField,
    StrictInputSerializer,
)
from gateway.api.filters import CREATED, choice_filter, created_filter, known_parameters
from gateway.client_ip import client_ip
from merchants.permissions import IsAnyKey, IsSecretKey, MerchantIsActive
from payments.api.common import referenced
from payments.api.payment_methods import (
    PAYMENT_METHOD_TYPES,
    BillingDetailsInputSerializer,
    CardInputSerializer,
)
from payments.enums import CancellationReason, CaptureMethod, PaymentStatus, SimulateScenario
from payments.models import Customer, Payment
from payments.representations import (
    PaymentClientSerializer,
    PaymentSerializer,
    RefundSerializer,
)
from payments.services import payments as payment_services
from payments.services.refunds import refund_create

from .refunds import RefundParamsSerializer

PROVIDERS = ["simulator", "stripe", "paypal"]


class PaymentMethodDataSerializer(StrictInputSerializer):
    """A card to pay with once (saved with the payment), checked as
    `POST /v1/payment_methods` checks it: a missing field is a 400 `parameter_missing`,
    a bad value a 402 card error."""

    type = serializers.ChoiceField(choices=PAYMENT_METHOD_TYPES)
    card = CardInputSerializer()
    billing_details = BillingDetailsInputSerializer(required=False)


IP_COUNTRY_HEADER = "Risk-IP-Country"


class RiskContextSerializer(StrictInputSerializer):
    """What the merchant knows about the cardholder, for fraud screening."""

    ip_address = IPAddressField(required=False)
    ip_country = CountryField(
        required=False,
        help_text="Two-letter country of the IP address, if the merchant knows it (or send "
        f"the `{IP_COUNTRY_HEADER}` header).",
    )
    user_agent = serializers.CharField(required=False, max_length=500)
    device_id = serializers.CharField(required=False, max_length=200)
    billing_country = CountryField(required=False)
    email = serializers.EmailField(required=False)


def _check_client_secret(given: str | None, payment: Payment) -> None:
    """A publishable key reads or confirms a payment only with its client secret: none
    is a permission error (the key alone may not), a wrong one a bad parameter."""
    if given is None:
        raise ForbiddenError(
            "A publishable key needs the payment's client_secret for this.",
            code="secret_key_required",
        )
    if not constant_time_compare(given, payment.client_secret):
        raise InvalidRequestError(
            "The client_secret does not match this payment.",
            code="parameter_invalid",
            param="client_secret",
        )


BROWSER_MAY_ADD = ("device_id",)


def _risk_context(request, given: dict | None) -> dict:
    """`risk_context` with the IP country from the header when the body has none (and
    the header names a country)."""
    context = dict(given or {})
    header = request.headers.get(IP_COUNTRY_HEADER, "").upper()
    if "ip_country" not in context and header in countries_by_alpha2:
        context["ip_country"] = header
    return {key: value for key, value in context.items() if value}


def browser_risk_context(request, given: dict | None, *, payment: Payment) -> dict:
    """A publishable-key call comes from the cardholder's browser, which could name any
    address or e-mail to slip past a blocklist or a velocity rule: the connection's IP
    address and user agent, and the header's country, replace what anyone said, and of
    its body only what BROWSER_MAY_ADD is taken, where the merchant gave none."""
    merchant_gave = payment.risk_context or {}
    body = {
        name: value
        for name, value in (given or {}).items()
        if name in BROWSER_MAY_ADD and name not in merchant_gave
    }
    return _risk_context(
        request,
        {
            **body,
            "ip_address": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:500],
        },
    )


# As Stripe: card networks print the descriptor on statements, which take none of these.
# As Stripe's: 5 to 22 Latin characters, at least one a letter, none of < > \ ' " *
# (nor a newline, nor a character that reorders text).
_DESCRIPTOR_CHARACTERS = "".join(
    f"\\{c}" if c in "[]^-" else c for c in map(chr, range(0x20, 0x7F)) if c not in "<>\\'\"*"
)
STATEMENT_DESCRIPTOR = RegexValidator(
    rf"^(?=.*[A-Za-z])[{_DESCRIPTOR_CHARACTERS}]{{5,22}}$",
    message="The statement descriptor takes 5 to 22 Latin letters, digits, spaces or "
    "punctuation (but none of < > \\ ' \" *), at least one of them a letter.",
)


class PaymentCreateInputSerializer(StrictInputSerializer):
    amount = AmountField()
    currency = CurrencyField()
    payment_method = serializers.CharField(required=False, max_length=40)
    payment_method_data = PaymentMethodDataSerializer(required=False)
    customer = serializers.CharField(required=False, max_length=40)
    capture_method = serializers.ChoiceField(
        choices=CaptureMethod.choices, default=CaptureMethod.AUTOMATIC
    )
    confirm = StrictBooleanField(default=True)
    description = serializers.CharField(required=False, max_length=1000, allow_blank=True)
    statement_descriptor = serializers.CharField(
        required=False,
        max_length=22,
        allow_blank=True,
        validators=[STATEMENT_DESCRIPTOR],
    )
    metadata = MetadataField(required=False)
    return_url = serializers.URLField(required=False, max_length=2000)
    provider = serializers.ChoiceField(
        choices=PROVIDERS,
        required=False,
        help_text="Use only this provider's accounts (default: routing over all of them).",
    )
    simulate = serializers.ChoiceField(choices=SimulateScenario.choices, required=False)
    off_session = StrictBooleanField(default=False)
    risk_context = RiskContextSerializer(required=False)

    def validate(self, data):
        if "payment_method" in data and "payment_method_data" in data:
            raise serializers.ValidationError(
                {"payment_method_data": "Send payment_method or payment_method_data, not both."}
            )
        if data["off_session"] and not data["confirm"]:  # as Stripe: confirm says it all
            raise serializers.ValidationError(
                {"off_session": "off_session can only be used when confirm is true."}
            )
        return data


class PaymentConfirmInputSerializer(StrictInputSerializer):
    payment_method = serializers.CharField(required=False, max_length=40)
    client_secret = serializers.CharField(required=False, max_length=100)
    return_url = serializers.URLField(
        required=False, max_length=2000, help_text="Replaces the payment's return_url"
    )
    risk_context = RiskContextSerializer(required=False)


class PaymentCaptureInputSerializer(StrictInputSerializer):
    amount = AmountField(required=False)


class PaymentCancelInputSerializer(StrictInputSerializer):
    cancellation_reason = serializers.ChoiceField(
        choices=[c for c in CancellationReason.values if c != "expired"], required=False
    )


LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=PaymentStatus.values),
    OpenApiParameter("customer", str),
    OpenApiParameter("provider", str, enum=PROVIDERS),
    *CREATED_PARAMETERS,
]


class PaymentViewSet(ApiViewSet):
    retrieve_parameters = ("client_secret",)

    def get_permissions(self):
        if self.action == "retrieve":  # a suspended merchant still reads (SPEC §3)
            return [IsAnyKey()]
        if self.action == "confirm":
            return [IsAnyKey(), MerchantIsActive()]
        if self.action in ("create", "capture"):  # capturing takes money in too
            return [IsSecretKey(), MerchantIsActive()]
        return [IsSecretKey()]

    def _payment(self, pk: str) -> Payment:
        return self.owned(Payment.objects.select_related("payment_method"), pk, noun="payment")

    @extend_schema(
        request=PaymentCreateInputSerializer,
        responses={200: PaymentSerializer, **error_responses(400, 402, 403)},
    )
    def create(self, request):
        """Create a payment; with `confirm` (default) it is screened for fraud, authorized
        and, with automatic capture (default), captured. Declines and fraud blocks are a
        402 `card_error` naming the payment; risky payments may need 3-D Secure
        (`requires_action`) or be held for review (`in_review`)."""
        data = self.parse(PaymentCreateInputSerializer)
        payment_method_data = data.get("payment_method_data")
        payment = payment_services.payment_create(
            merchant=self.merchant,
            livemode=self.livemode,
            amount_minor=data["amount"],
            currency=data["currency"],
            capture_method=data["capture_method"],
            confirm=data["confirm"],
            payment_method_id=data.get("payment_method"),
            payment_method_data=dict(payment_method_data) if payment_method_data else None,
            customer_id=data.get("customer"),
            description=data.get("description", ""),
            statement_descriptor=data.get("statement_descriptor", ""),
            metadata=data.get("metadata"),
            return_url=data.get("return_url", ""),
            simulate=data.get("simulate", ""),
            off_session=data["off_session"],
            provider=data.get("provider"),
            risk_context=_risk_context(request, data.get("risk_context")),
            idempotency_key=getattr(request, "idempotency_key", None),
        )
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("client_secret", str, description="Needed with a publishable key")
        ],
        responses={
            # the secret key's view also matches the client's, which is a subset of it
            200: {
                "anyOf": [
                    {"$ref": "#/components/schemas/Payment"},
                    {"$ref": "#/components/schemas/PaymentClient"},
                ]
            },
            **error_responses(400, 403, 404),
        },
    )
    def retrieve(self, request, pk=None):
        """A payment. A publishable key may read it with its `client_secret` (a page
        back from 3-D Secure), and sees it as `confirm` shows it to a browser."""
        payment = self._payment(pk)
        if request.auth.is_secret:
            return Response(PaymentSerializer(payment).data)
        _check_client_secret(request.query_params.get("client_secret"), payment)
        return Response(PaymentClientSerializer(payment).data)

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={200: PaymentSerializer(many=True), **error_responses(400)},
    )
    def list(self, request):
        """Payments, newest first."""
        params = request.query_params
        known_parameters(params, "status", "provider", "customer", *CREATED)
        filters = created_filter(params)
        if status := choice_filter(params, "status", PaymentStatus.values):
            filters["status"] = status
        if provider := choice_filter(params, "provider", PROVIDERS):
            filters["provider"] = provider
        if customer := params.get("customer"):
            # as Stripe answers: a filter naming no object of the caller's is an error
            filters["customer"] = referenced(
                self, Customer.objects, customer, noun="customer", param="customer"
            )
        queryset = Payment.objects.for_merchant(self.merchant, livemode=self.livemode).filter(
            **filters
        )
        return self.paginated_response(queryset, PaymentSerializer)

    @extend_schema(
        request=PaymentConfirmInputSerializer,
        # The fields every caller gets; a secret key gets the whole payment, as GET.
        responses={200: PaymentClientSerializer, **error_responses(400, 402, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Authorize a payment created with `confirm=false`. A publishable key may do
        this with the payment's `client_secret`, and sees the payment without the
        merchant's fields (customer, metadata, provider, amounts received) or its risk;
        a secret key gets the whole payment."""
        data = self.parse(PaymentConfirmInputSerializer)
        payment = self._payment(pk)
        from_browser = not request.auth.is_secret
        if from_browser:
            _check_client_secret(data.get("client_secret"), payment)
            risk_context = browser_risk_context(request, data.get("risk_context"), payment=payment)
        else:
            risk_context = _risk_context(request, data.get("risk_context"))
        payment = payment_services.payment_confirm(
            payment=payment,
            payment_method_id=data.get("payment_method"),
            return_url=data.get("return_url"),
            risk_context=risk_context,
            first_use_only=from_browser,
        )
        shape = PaymentClientSerializer if from_browser else PaymentSerializer
        return Response(shape(payment).data)

    @extend_schema(
        request=PaymentCaptureInputSerializer,
        responses={200: PaymentSerializer, **error_responses(400, 402, 404)},
    )
    @action(detail=True, methods=["post"])
    def capture(self, request, pk=None):
        """Capture an authorized payment; a smaller `amount` releases the rest."""
        data = self.parse(PaymentCaptureInputSerializer)
        payment = payment_services.payment_capture(
            payment=self._payment(pk),
            amount_minor=data.get("amount"),
            idempotency_key=getattr(request, "idempotency_key", None),
        )
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        request=PaymentCancelInputSerializer,
        responses={200: PaymentSerializer, **error_responses(400, 402, 404)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a payment that has not been captured (voids the authorization)."""
        data = self.parse(PaymentCancelInputSerializer)
        payment = payment_services.payment_cancel(
            payment=self._payment(pk),
            reason=data.get("cancellation_reason", ""),
            idempotency_key=getattr(request, "idempotency_key", None),
        )
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        request=RefundParamsSerializer,
        responses={200: RefundSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund a captured payment, fully or partly; returns the refund object."""
        data = self.parse(RefundParamsSerializer)
        refund = refund_create(
            payment=self._payment(pk),
            amount_minor=data.get("amount"),
            reason=data.get("reason", ""),
            metadata=data.get("metadata"),
            idempotency_key=getattr(request, "idempotency_key", None),
        )
        return Response(RefundSerializer(refund).data)
