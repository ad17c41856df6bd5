"""Test-only endpoints for the idempotency tests (routed in gateway/tests/urls.py).

`ChargeViewSet` charges the way the real payments endpoint will: it links the payment
to `request.idempotency_key`, and when a retry runs again after a crash it finds that
payment and resumes it, forwarding the payment id as the provider's idempotency key
so the provider never charges twice. `FakeProvider` counts the calls that reach it;
`faults` injects crashes at a named point.
"""

import threading
import time

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from gateway.api.base import ApiViewSet
from gateway.api.errors import CardError
from gateway.api.fields import AmountField, CurrencyField, StrictInputSerializer
from payments.enums import PaymentStatus
from payments.models import Payment


class FakeProvider:
    """Like a real acquirer, it dedupes charges on the idempotency key we forward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.calls = 0
            self.charges: dict[str, str] = {}
            self.latency = 0.0

    def charge(self, *, idempotency_key: str) -> str:
        time.sleep(self.latency)
        with self._lock:
            self.calls += 1
            return self.charges.setdefault(idempotency_key, f"ch_{len(self.charges) + 1}")


class ProcessKilled(BaseException):
    """A SIGKILL as the request sees it: no handler runs, nothing is cleaned up."""


class Faults:
    """One-shot failures armed by a test, raised at a named point of the next request."""

    def __init__(self) -> None:
        self._armed: dict[str, BaseException] = {}

    def reset(self) -> None:
        self._armed.clear()

    def arm(self, point: str, exc: BaseException) -> None:
        self._armed[point] = exc

    def point(self, point: str) -> None:
        exc = self._armed.pop(point, None)
        if exc is not None:
            raise exc


provider = FakeProvider()
faults = Faults()


class ChargeInputSerializer(StrictInputSerializer):
    amount = AmountField()
    currency = CurrencyField()
    decline = serializers.BooleanField(default=False)


def _render(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "object": "payment",
        "amount": payment.amount_minor,
        "currency": payment.currency,
        "status": payment.status,
        "provider_reference": payment.provider_reference,
        "livemode": payment.livemode,
        "created": int(payment.created_at.timestamp()),
    }


@transaction.atomic
def _apply(payment_pk: str, *, provider_reference: str, decline: bool) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_pk)
    payment.begin_authorization()
    if decline:
        payment.fail(code="generic_decline", message="Your card was declined.")
    else:
        payment.capture(
            amount_minor=payment.amount_minor, fee_minor=0, provider_reference=provider_reference
        )
    payment.save()
    return payment


class ChargeViewSet(ApiViewSet):
    @extend_schema(request=ChargeInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def create(self, request):
        data = self.parse(ChargeInputSerializer)
        # A retry of a request that died half-way finds what it committed and resumes.
        payment = None
        if request.idempotency_key is not None:
            payment = Payment.objects.filter(idempotency_key=request.idempotency_key).first()
        if payment is None:
            payment = Payment.objects.create(
                merchant=self.merchant,
                livemode=self.livemode,
                amount_minor=data["amount"],
                currency=data["currency"],
                idempotency_key=request.idempotency_key,
            )
        if payment.status == PaymentStatus.CREATED:
            reference = provider.charge(idempotency_key=payment.id)
            faults.point("after_charge")
            payment = _apply(payment.pk, provider_reference=reference, decline=data["decline"])
        if payment.status == PaymentStatus.FAILED:
            raise CardError(
                "Your card was declined.", decline_code=payment.failure_code, payment=payment.id
            )
        return Response(_render(payment), status=201)


class EchoViewSet(ApiViewSet):
    """No effect at all: echoes the body and the claimed key."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def create(self, request):
        return Response({"received": request.data, "idempotency_key": self._claimed_key()})

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request):
        return Response({"idempotency_key": self._claimed_key()})

    def _claimed_key(self) -> str | None:
        claim = self.request.idempotency_key
        return None if claim is None else claim.key


router = SimpleRouter(trailing_slash=False)
router.register("_test/charges", ChargeViewSet, basename="test-charge")
router.register("_test/idempotent_echo", EchoViewSet, basename="test-echo")
