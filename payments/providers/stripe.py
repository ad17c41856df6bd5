"""Adapter for Stripe PaymentIntents, through the official SDK's `StripeClient`.

Each of these is a deliberate choice against an SDK default:
- Timeouts: explicit connect/read timeouts from the settings (at most 10 s) instead
  of the SDK's 80 s.
- Retries: `max_network_retries` is set (STRIPE_MAX_NETWORK_RETRIES). A `StripeClient`
  does not retry unless told to; ours retries refused connections, 409 and 5xx, always
  with the same idempotency key. It does not retry a read timeout: the answer may
  still be on its way, a second wait would double the caller's, and the operation
  stays pending for the resolver, which looks the PaymentIntent up first.
- Idempotency: our operation's key on every mutating call (keys derived from it for
  the helper objects). Without one the SDK makes up a fresh key per POST, so a retry
  of ours after a timeout could charge twice.

An authorization is create-then-confirm: `prepare_authorization` creates the
PaymentMethod and the PaymentIntent (no money moves) so that the PaymentIntent's id
is stored before `authorize` confirms it; a confirmation that timed out is then
resolved by retrieving the PaymentIntent. `latest_charge` may come expanded (an
object, as localstripe sends it) or as Stripe's id string: both are accepted.
"""

import json
from collections.abc import Callable, Mapping

import requests
import stripe
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from payments.providers.base import (
    AuthorizationRequest,
    Outcome,
    ProviderPaymentState,
    ProviderPending,
    ProviderRefundState,
    ProviderResult,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderWebhookEvent,
    WebhookInvalid,
    as_mapping,
)
from payments.providers.stripe_units import NotInStripeUnits, from_stripe, to_stripe

# Stripe decline codes we pass on as they are; any other becomes generic_decline.
_DECLINE_CODES = {
    "generic_decline",
    "insufficient_funds",
    "lost_card",
    "stolen_card",
    "expired_card",
    "incorrect_cvc",
    "authentication_required",
}
# Stripe error `code`s that are decline codes of their own.
_CODE_AS_DECLINE = {
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "authentication_required": "authentication_required",
    "incorrect_number": "generic_decline",
    "invalid_expiry_year": "expired_card",
    "invalid_expiry_month": "expired_card",
}
_OPERATION_METADATA = "gateway_operation"


class _HttpClient(stripe.RequestsClient):
    """The SDK's requests client, except that a read timeout is never retried."""

    def _handle_request_error(self, e: Exception):
        try:
            super()._handle_request_error(e)
        except stripe.APIConnectionError as error:
            if isinstance(e, requests.exceptions.ReadTimeout):
                error.should_retry = False
            raise


def _never_sent(error: stripe.APIConnectionError) -> bool:
    """True when the connection itself failed: Stripe cannot have seen the request."""
    cause = error.__cause__
    if isinstance(cause, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(cause, requests.exceptions.ConnectionError) and cause.args:
        reason = getattr(cause.args[0], "reason", cause.args[0])
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _declined(error: stripe.CardError, reference: str = "") -> ProviderResult:
    code = error.code or ""
    decline_code = (error.error.decline_code if error.error else None) or ""
    message = error.user_message or "Your card was declined."
    if "processing_error" in (code, decline_code):
        return ProviderResult(Outcome.FAILED, reference, "processing_error", message)
    if decline_code not in _DECLINE_CODES:
        decline_code = _CODE_AS_DECLINE.get(code, "generic_decline")
    return ProviderResult(Outcome.DECLINED, reference, decline_code, message)


def _last_error(intent: dict) -> ProviderResult:
    error = intent.get("last_payment_error") or {}
    code, decline_code = error.get("code") or "", error.get("decline_code") or ""
    message = error.get("message") or "Your card was declined."
    if "processing_error" in (code, decline_code):
        return ProviderResult(Outcome.FAILED, intent["id"], "processing_error", message)
    if decline_code not in _DECLINE_CODES:
        decline_code = _CODE_AS_DECLINE.get(code, "generic_decline")
    return ProviderResult(Outcome.DECLINED, intent["id"], decline_code, message)


def _charge(intent: dict) -> dict:
    """`latest_charge` as an object when Stripe expanded it, else an empty dict."""
    charge = intent.get("latest_charge")
    return charge if isinstance(charge, dict) else {}


def _amount_captured(intent: dict) -> int:
    """In ISO minor units."""
    amount = intent.get("amount_received")
    if amount is None:
        charge = _charge(intent)
        amount = charge.get("amount_captured")
        if amount is None:
            amount = charge.get("amount", intent.get("amount", 0))
    return from_stripe(amount, intent["currency"])


def _redirect_url(intent: dict) -> str:
    action = intent.get("next_action") or {}
    if action.get("type") == "redirect_to_url":
        return (action.get("redirect_to_url") or {}).get("url") or ""
    return ""


def _authorization_result(intent: dict) -> ProviderResult | None:
    """What a PaymentIntent says about its authorization; None: not confirmed yet."""
    status = intent["status"]
    if status in ("succeeded", "requires_capture"):
        return ProviderResult(Outcome.SUCCEEDED, intent["id"])
    if status == "requires_action":
        url = _redirect_url(intent)
        if url:
            return ProviderResult(Outcome.REQUIRES_ACTION, intent["id"], redirect_url=url)
        # Stripe wants its own client (Stripe.js) to authenticate: without a return_url
        # there is no page we can send the cardholder to.
        return ProviderResult(
            Outcome.DECLINED,
            intent["id"],
            "authentication_required",
            "The card requires authentication; send return_url to redirect the customer.",
        )
    if status == "processing":
        raise ProviderPending(f"Stripe is still processing {intent['id']}")
    if status == "canceled":
        return ProviderResult(
            Outcome.DECLINED, intent["id"], "generic_decline", "The payment was canceled."
        )
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return _last_error(intent)
    return None


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str = "",
        api_base: str = "",
        timeout: tuple[float, float],
        max_network_retries: int,
        webhook_tolerance: int = 300,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance
        self._secret_key = secret_key
        self._client = stripe.StripeClient(
            secret_key,
            http_client=_HttpClient(timeout=timeout),
            max_network_retries=max_network_retries,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
        )

    def __repr__(self) -> str:  # never the key
        return "StripeProvider()"

    # --- calls --------------------------------------------------------------------------

    def _call(self, send: Callable[[], object], *, moves_money: bool = True) -> dict:
        """Run one SDK call; transport and server failures become our exceptions.

        A 5xx left after the SDK's retries, to a call that `moves_money` (confirm,
        capture, cancel, refund), says nothing of what Stripe did: Stripe may have done
        it and replays the 5xx under our key. Like a timeout, it leaves the operation
        pending for the resolver, never failed (a retry elsewhere could charge twice).
        A 409 (Stripe is still running a request with the key) is not an answer yet.
        """
        try:
            response = send()
        except stripe.APIConnectionError as error:
            if _never_sent(error):
                raise ProviderUnavailable("Stripe could not be reached") from None
            raise ProviderTimeout("Stripe did not answer in time") from None
        except stripe.IdempotencyError as error:
            if error.http_status == 409:
                raise ProviderPending("Stripe is still running a request with this key") from None
            raise
        except stripe.APIError as error:
            if moves_money:
                raise ProviderTimeout(
                    f"Stripe answered {error.http_status}: the outcome is unknown"
                ) from None
            raise ProviderUnavailable(f"Stripe refused the call ({error.http_status})") from None
        except (
            stripe.RateLimitError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        ) as error:
            raise ProviderUnavailable(
                f"Stripe refused the call ({error.http_status} {error.code or ''})"
            ) from None
        return response.to_dict() if hasattr(response, "to_dict") else response

    @staticmethod
    def _failed(
        error: stripe.StripeError | NotInStripeUnits, reference: str = ""
    ) -> ProviderResult:
        """A request Stripe rejected (400, 404, idempotency), or one it could not take
        (an amount its units cannot express): nothing happened."""
        message = getattr(error, "user_message", None) or str(error)
        return ProviderResult(
            Outcome.FAILED,
            reference,
            "processing_error",
            (message or "The provider rejected the request.")[:300],
        )

    def _intent_for(self, request: AuthorizationRequest) -> str:
        """Create the PaymentMethod and an unconfirmed PaymentIntent; its id."""
        key, card = request.idempotency_key, request.card
        card_params = {
            "number": card.number,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        if card.cvc:
            card_params["cvc"] = card.cvc
        method = self._call(
            lambda: self._client.v1.payment_methods.create(
                params={"type": "card", "card": card_params},
                options={"idempotency_key": f"{key}-pm"},
            ),
            moves_money=False,
        )
        params = {
            "amount": to_stripe(request.amount_minor, request.currency),
            "currency": request.currency,
            "payment_method": method["id"],
            "payment_method_types": ["card"],
            "capture_method": "automatic" if request.capture else "manual",
            "metadata": {"gateway_payment": request.payment_id, _OPERATION_METADATA: key},
        }
        if request.statement_descriptor:
            params["statement_descriptor_suffix"] = request.statement_descriptor
        if request.three_d_secure:  # screening wants a challenge, whatever Radar thinks
            params["payment_method_options"] = {"card": {"request_three_d_secure": "any"}}
        intent = self._call(  # unconfirmed: nothing is charged until confirm
            lambda: self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"{key}-pi"}
            ),
            moves_money=False,
        )
        return intent["id"]

    def prepare_authorization(self, request: AuthorizationRequest) -> str:
        """The PaymentIntent's id, before confirming; "" if Stripe refused the card
        data (authorize() then reports the decline under the same keys)."""
        try:
            return self._intent_for(request)
        except (stripe.CardError, stripe.InvalidRequestError, NotInStripeUnits):
            return ""

    def authorize(self, request: AuthorizationRequest) -> ProviderResult:
        if request.card is None:
            return ProviderResult(
                Outcome.DECLINED, "", "generic_decline", "Stripe payments need a card."
            )
        reference = request.reference
        try:
            reference = reference or self._intent_for(request)
            params = {}
            if request.return_url:
                params["return_url"] = request.return_url
            if request.off_session:
                params["off_session"] = True
            intent = self._call(
                lambda: self._client.v1.payment_intents.confirm(
                    reference,
                    params=params or None,
                    options={"idempotency_key": request.idempotency_key},
                )
            )
        except stripe.CardError as error:
            return _declined(error, reference)
        except (stripe.StripeError, NotInStripeUnits) as error:
            return self._failed(error, reference)
        result = _authorization_result(intent)
        if result is None:  # unconfirmed after a confirmation: Stripe lost it
            raise ProviderUnavailable(f"{reference} is still {intent['status']}")
        return result

    def capture(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        try:
            intent = self._call(
                lambda: self._client.v1.payment_intents.capture(
                    reference,
                    params={"amount_to_capture": to_stripe(amount_minor, currency)},
                    options={"idempotency_key": idempotency_key},
                )
            )
        except (stripe.StripeError, NotInStripeUnits) as error:
            return self._failed(error, reference)
        if intent["status"] != "succeeded":
            return ProviderResult(Outcome.FAILED, reference, "processing_error", "Not captured.")
        return ProviderResult(Outcome.SUCCEEDED, reference)

    def void(self, *, idempotency_key, reference) -> ProviderResult:
        try:
            intent = self._call(
                lambda: self._client.v1.payment_intents.cancel(
                    reference, options={"idempotency_key": idempotency_key}
                )
            )
        except stripe.StripeError as error:
            return self._failed(error, reference)
        if intent["status"] != "canceled":
            return ProviderResult(Outcome.FAILED, reference, "processing_error", "Not canceled.")
        return ProviderResult(Outcome.SUCCEEDED, reference)

    def refund(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        try:
            refund = self._call(
                lambda: self._client.v1.refunds.create(
                    params={
                        "payment_intent": reference,
                        "amount": to_stripe(amount_minor, currency),
                        "metadata": {_OPERATION_METADATA: idempotency_key},
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        except (stripe.StripeError, NotInStripeUnits) as error:
            return self._failed(error)
        return self._refund_result(refund)

    @staticmethod
    def _refund_result(refund: dict) -> ProviderResult:
        status = refund.get("status")
        if status == "succeeded":
            return ProviderResult(Outcome.SUCCEEDED, refund["id"])
        if status in ("pending", "requires_action"):
            raise ProviderPending(f"refund {refund['id']} is {status}")
        return ProviderResult(
            Outcome.FAILED,
            refund["id"],
            "processing_error",
            refund.get("failure_reason") or "The refund failed.",
        )

    # --- asking Stripe what happened ------------------------------------------------------

    def _intent(self, reference: str) -> dict:
        return self._call(
            lambda: self._client.v1.payment_intents.retrieve(
                reference, params={"expand": ["latest_charge"]}
            ),
            moves_money=False,
        )

    def _refunds(self, reference: str) -> list[dict]:
        """Every refund of the PaymentIntent, page after page."""
        return self._call(
            lambda: [
                refund.to_dict()
                for refund in self._client.v1.refunds.list(
                    params={"payment_intent": reference, "limit": 100}
                ).auto_paging_iter()
            ],
            moves_money=False,
        )

    def lookup(self, *, idempotency_key, kind="", reference="") -> ProviderResult | None:
        """Retrieve the PaymentIntent (or its refunds) and read the answer off it."""
        if not reference:
            return None  # the PaymentIntent was never made: send the call again
        try:
            if kind == "refund":
                for refund in self._refunds(reference):
                    if (refund.get("metadata") or {}).get(_OPERATION_METADATA) == idempotency_key:
                        return self._refund_result(refund)
                return None
            intent = self._intent(reference)
        except stripe.StripeError as error:
            return self._failed(error, reference)
        status = intent["status"]
        if kind == "capture":
            if status == "requires_capture":
                return None
            if status == "succeeded":
                return ProviderResult(Outcome.SUCCEEDED, reference)
            return ProviderResult(Outcome.FAILED, reference, "processing_error", status)
        if kind == "void":
            if status == "canceled":
                return ProviderResult(Outcome.SUCCEEDED, reference)
            if status == "succeeded":
                return ProviderResult(Outcome.FAILED, reference, "processing_error", status)
            return None
        return _authorization_result(intent)

    def lookup_proves_absence(self, *, kind: str, reference: str) -> bool:
        """Once the PaymentIntent is known, its state (and its refunds, tagged with our
        key) shows what was carried out."""
        return bool(reference)

    def payment_state(self, *, reference: str) -> ProviderPaymentState:
        try:
            intent = self._intent(reference)
            refunds = self._refunds(reference) if intent["status"] == "succeeded" else []
        except stripe.StripeError as error:
            raise ProviderUnavailable(f"Stripe refused the lookup: {error.code}") from None
        status = {
            "requires_confirmation": "pending",
            "processing": "pending",
            "requires_action": "requires_action",
            "requires_capture": "authorized",
            "succeeded": "captured",
            "canceled": "canceled",
        }.get(intent["status"], "pending")
        failure = ProviderResult(Outcome.FAILED)
        if intent["status"] == "requires_payment_method" and intent.get("last_payment_error"):
            status, failure = "failed", _last_error(intent)
        return ProviderPaymentState(
            reference=reference,
            status=status,
            amount_captured_minor=_amount_captured(intent) if status == "captured" else 0,
            decline_code=failure.decline_code,
            message=failure.message,
            redirect_url=_redirect_url(intent),
            refunds=tuple(
                ProviderRefundState(
                    reference=refund["id"],
                    status={"succeeded": "succeeded", "failed": "failed"}.get(
                        refund.get("status"), "pending"
                    ),
                    amount_minor=from_stripe(refund.get("amount") or 0, refund["currency"]),
                    idempotency_key=(refund.get("metadata") or {}).get(_OPERATION_METADATA, ""),
                )
                for refund in refunds
            ),
        )

    # --- inbound webhooks -----------------------------------------------------------------

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderWebhookEvent:
        """Verify the `Stripe-Signature` over the raw body (and its timestamp's age)
        before anything reads the JSON."""
        if not self._webhook_secret:
            raise WebhookInvalid("no webhook secret is configured for this account")
        try:
            stripe.WebhookSignature.verify_header(
                body.decode(),
                headers.get("Stripe-Signature"),
                self._webhook_secret,
                tolerance=self._webhook_tolerance,
            )
            event = json.loads(body)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookInvalid(str(error).split("\n")[0][:200]) from None
        # Signed, but read as any input: a malformed event is refused, never a 500.
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
        ):
            raise WebhookInvalid("the body is not a Stripe event")
        obj = as_mapping(as_mapping(event.get("data")).get("object"))
        if obj.get("object") == "payment_intent":
            object_id = obj.get("id")
        else:  # charge.*, refund.*, charge.dispute.*: the PaymentIntent they belong to
            object_id = obj.get("payment_intent")
            if isinstance(object_id, dict):  # expanded
                object_id = object_id.get("id")
        return ProviderWebhookEvent(
            id=event["id"],
            type=event["type"],
            object_id=object_id if isinstance(object_id, str) else "",
        )
