"""`/v1/refunds`: create (also as `/v1/payments/{id}/refund`), retrieve, list."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import CREATED_PARAMETERS, error_responses
from gateway.api.errors import InvalidRequestError
from gateway.api.fields import AmountField, MetadataField, StrictInputSerializer
from gateway.api.filters import CREATED, created_filter, known_parameters
from payments.api.common import referenced
from payments.enums import RefundReason
from payments.models import Payment, Refund
from payments.representations import RefundSerializer
from payments.services.refunds import refund_create


class RefundParamsSerializer(StrictInputSerializer):
    amount = AmountField(required=False)
    reason = serializers.ChoiceField(choices=RefundReason.choices, required=False)
    metadata = MetadataField(required=False)


class RefundCreateInputSerializer(RefundParamsSerializer):
    payment = serializers.CharField(max_length=40)


class RefundViewSet(ApiViewSet):
    @extend_schema(
        request=RefundCreateInputSerializer,
        responses={200: RefundSerializer, **error_responses(400)},
    )
    def create(self, request):
        """Refund a captured payment, fully or partly."""
        data = self.parse(RefundCreateInputSerializer)
        payment = (
            Payment.objects.for_merchant(self.merchant, livemode=self.livemode)
            .filter(pk=data["payment"])
            .first()
        )
        if payment is None:
            raise InvalidRequestError(
                f"No such payment: '{data['payment']}'", code="resource_missing", param="payment"
            )
        refund = refund_create(
            payment=payment,
            amount_minor=data.get("amount"),
            reason=data.get("reason", ""),
            metadata=data.get("metadata"),
            idempotency_key=getattr(request, "idempotency_key", None),
        )
        return Response(RefundSerializer(refund).data)

    @extend_schema(responses={200: RefundSerializer, **error_responses(404)})
    def retrieve(self, request, pk=None):
        return Response(RefundSerializer(self.owned(Refund.objects, pk, noun="refund")).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("payment", str, description="Only this payment's refunds"),
            *CREATED_PARAMETERS,
        ],
        responses={200: RefundSerializer(many=True), **error_responses(400)},
    )
    def list(self, request):
        """Refunds, newest first."""
        known_parameters(request.query_params, "payment", *CREATED)
        filters = created_filter(request.query_params)
        if payment := request.query_params.get("payment"):
            # as Stripe answers: a filter naming no object of the caller's is an error
            filters["payment"] = referenced(
                self, Payment.objects, payment, noun="payment", param="payment"
            )
        queryset = Refund.objects.for_merchant(self.merchant, livemode=self.livemode).filter(
            **filters
        )
        return self.paginated_response(queryset, RefundSerializer)
