"""Adapter for the built-in sandbox acquirer (the `simulator` app)."""

from payments.providers.base import AuthorizationRequest, ProviderResult, ProviderTimeout
from simulator import acquirer
from simulator.cards import test_card_number


def is_test_card(global_fingerprint: str) -> bool:
    """One of the sandbox's magic cards, told by the card's global fingerprint (the
    vault stays closed)."""
    return test_card_number(global_fingerprint) is not None


def _result(answer: dict) -> ProviderResult:
    return ProviderResult(
        outcome=answer["result"],
        reference=answer["reference"],
        decline_code=answer["decline_code"],
        message=answer["message"],
    )


class SimulatorProvider:
    name = "simulator"

    def authorize(self, request: AuthorizationRequest) -> ProviderResult:
        answer = acquirer.authorize(
            idempotency_key=request.idempotency_key,
            amount_minor=request.amount_minor,
            currency=request.currency,
            card_number=request.card.number,
            capture=request.capture,
            livemode=request.livemode,
            off_session=request.off_session,
            scenario=request.simulate,
            three_d_secure=request.three_d_secure,
        )
        if request.simulate == "network_timeout":
            raise ProviderTimeout("simulated: the acquirer's answer was lost in transit")
        return _result(answer)

    def capture(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        return _result(
            acquirer.capture(
                idempotency_key=idempotency_key, reference=reference, amount_minor=amount_minor
            )
        )

    def complete_authentication(
        self, *, idempotency_key, reference, approved, capture
    ) -> ProviderResult:
        return _result(
            acquirer.complete_authentication(
                idempotency_key=idempotency_key,
                reference=reference,
                approved=approved,
                capture=capture,
            )
        )

    def void(self, *, idempotency_key, reference) -> ProviderResult:
        return _result(acquirer.void(idempotency_key=idempotency_key, reference=reference))

    def refund(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        return _result(
            acquirer.refund(
                idempotency_key=idempotency_key, reference=reference, amount_minor=amount_minor
            )
        )

    def lookup(self, *, idempotency_key, kind="", reference="") -> ProviderResult | None:
        answer = acquirer.lookup(idempotency_key)
        return _result(answer) if answer is not None else None

    def lookup_proves_absence(self, *, kind: str, reference: str) -> bool:
        return True  # its record of every call it took is in our database
