"""Domain errors of payments. Each carries the API error it becomes (SPEC §5)."""

from gateway.api.errors import ApiError, CardError, InvalidRequestError


class PaymentUnexpectedState(InvalidRequestError):
    """The payment's state does not allow this transition (second capture, refund of
    an uncaptured payment, cancel after capture)."""

    code = "payment_unexpected_state"


class AmountTooLarge(InvalidRequestError):
    code = "amount_too_large"

    def __init__(self, message: str) -> None:
        super().__init__(message, param="amount")


class OperationInProgress(ApiError):
    """Another operation on this payment is waiting for the provider's answer (a 400:
    SPEC §5 keeps 409 for `idempotency_error`)."""

    status_code = 400
    code = "payment_operation_in_progress"


# The `code` of a decline is `card_declined` except for these decline codes.
_DECLINE_ERROR_CODES = {
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "processing_error": "processing_error",
    "fraud_blocked": "fraud_blocked",
    "authentication_required": "authentication_required",  # as Stripe, off session
}


class PaymentDeclined(CardError):
    """The payment is stored as failed; the merchant gets a 402 naming it."""

    def __init__(self, payment) -> None:
        decline_code = payment.failure_code
        code = _DECLINE_ERROR_CODES.get(decline_code, "card_declined")
        super().__init__(
            payment.failure_message or "Your card was declined.",
            code=code,
            decline_code=None if code == "fraud_blocked" else decline_code,
            payment=payment.id,
        )
        self.payment = payment
