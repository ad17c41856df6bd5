"""Adapter for PayPal Checkout (Orders v2), with paypalrestsdk's `Api` for OAuth.

The flow: `authorize` creates an order and answers PENDING with PayPal's approval
link (the payment stays `processing` with `next_action.redirect_to_url`); when the
customer approves (our return URL, or the CHECKOUT.ORDER.APPROVED webhook) the
gateway captures the order; refunds go to the order's capture.

paypalrestsdk has two habits an adapter must undo, both handled here:
- it sets no timeout on its HTTP calls: `_BoundedApi` passes the configured
  connect/read timeouts on every one (token requests included);
- at DEBUG it logs request headers and bodies, which carry the Basic credentials and
  the bearer token: its logger is pinned to WARNING and gets a redacting filter, so
  nothing it logs can leak them even if someone turns it up.
It also turns a 400 into a dict and retries a 401 without end; `_BoundedApi.request`
raises instead and refreshes the token once.

Every mutating call carries `PayPal-Request-Id` (our operation's idempotency key), so
PayPal answers a repeat with the first result instead of acting twice.
"""

import json
import logging
from collections.abc import Mapping
from decimal import Decimal

import paypalrestsdk
import requests
from paypalrestsdk import exceptions as paypal_errors
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from gateway.logging import redact
from gateway.money import exponent
from payments.providers.base import (
    AuthorizationRequest,
    Outcome,
    ProviderPaymentState,
    ProviderPending,
    ProviderResult,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderWebhookEvent,
    WebhookInvalid,
    as_mapping,
)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


_sdk_logger = logging.getLogger("paypalrestsdk")
_sdk_logger.setLevel(logging.WARNING)
if not any(isinstance(f, _RedactingFilter) for f in _sdk_logger.filters):
    _sdk_logger.addFilter(_RedactingFilter())
logging.getLogger("paypalrestsdk.api").addFilter(_RedactingFilter())

_WEBHOOK_HEADERS = {
    "auth_algo": "PayPal-Auth-Algo",
    "cert_url": "PayPal-Cert-Url",
    "transmission_id": "PayPal-Transmission-Id",
    "transmission_sig": "PayPal-Transmission-Sig",
    "transmission_time": "PayPal-Transmission-Time",
}


class _BoundedApi(paypalrestsdk.Api):
    """paypalrestsdk's Api with timeouts on every call, errors as exceptions, and a
    single token refresh on 401. The OAuth token stays cached on the instance."""

    def __init__(self, *, timeout: tuple[float, float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout

    def __repr__(self) -> str:  # never the credentials
        return f"_BoundedApi(mode={self.mode!r})"

    def http_call(self, url, method, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().http_call(url, method, **kwargs)

    def request(self, url, method, body=None, headers=None, refresh_token=None):
        for attempt in (1, 2):
            merged = {**self.headers(), **(headers or {})}
            data = json.dumps(body) if body is not None else None
            try:
                return self.http_call(url, method, data=data, headers=merged)
            except paypal_errors.UnauthorizedAccess:
                if attempt == 2:
                    raise
                self.token_hash = None  # expired or revoked: fetch a new one, once


def _never_sent(error: requests.exceptions.RequestException) -> bool:
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", error.args[0])
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


# PayPal takes these in whole units only, whatever ISO 4217 says (HUF and TWD have two
# decimals there): developer.paypal.com/reference/currency-codes.
WHOLE_UNITS_ONLY = frozenset({"huf", "jpy", "twd"})


class NotInPayPalUnits(ValueError):
    """An amount PayPal cannot take in this currency (HUF 10.50)."""


def _money(amount_minor: int, currency: str) -> dict:
    places = exponent(currency)
    value = Decimal(amount_minor).scaleb(-places)
    if currency in WHOLE_UNITS_ONLY:
        if value != value.to_integral_value():
            raise NotInPayPalUnits(f"PayPal takes {currency.upper()} in whole units only.")
        places = 0
    value = value.quantize(Decimal(1).scaleb(-places))
    return {"currency_code": currency.upper(), "value": str(value)}


def _minor(amount: dict) -> int:
    return int(Decimal(amount["value"]).scaleb(exponent(amount["currency_code"])))


def _issue(error: paypal_errors.ConnectionError) -> tuple[str, str]:
    """(issue, description) from a PayPal error body."""
    try:
        body = json.loads(error.content or "{}")
    except ValueError:
        return "", ""
    details = body.get("details") or [{}]
    return details[0].get("issue") or body.get("name", ""), details[0].get(
        "description"
    ) or body.get("message", "")


def _approval_link(order: dict) -> str:
    for link in order.get("links") or []:
        if link.get("rel") in ("payer-action", "approve"):
            return link.get("href", "")
    return ""


def _captures(order: dict) -> list[dict]:
    return [
        capture
        for unit in order.get("purchase_units") or []
        for capture in ((unit.get("payments") or {}).get("captures") or [])
    ]


class PayPalProvider:
    name = "paypal"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        webhook_id: str = "",
        livemode: bool,
        api_base: str = "",
        timeout: tuple[float, float],
    ) -> None:
        options = {"mode": "live" if livemode else "sandbox"}
        if api_base:
            options["endpoint"] = options["token_endpoint"] = api_base.rstrip("/")
        self._api = _BoundedApi(
            timeout=timeout, client_id=client_id, client_secret=client_secret, **options
        )
        self._webhook_id = webhook_id

    def __repr__(self) -> str:
        return "PayPalProvider()"

    def _send(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        request_id: str = "",
        *,
        moves_money: bool = False,
    ):
        """One call. A 5xx to a call that `moves_money` (a capture, a refund) says nothing
        of what PayPal did: PayPal asks for a retry under the same PayPal-Request-Id, so
        like a timeout it leaves the operation pending for the resolver, never failed
        (a new refund would refund twice)."""
        try:  # the OAuth token first (cached): failing here, nothing was sent
            self._api.headers()
        except (requests.exceptions.RequestException, paypal_errors.ConnectionError) as error:
            raise ProviderUnavailable(f"PayPal gave no token ({type(error).__name__})") from None
        headers = {"Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        url = f"{self._api.endpoint}/{path.lstrip('/')}"
        try:
            return self._api.request(url, method, body=body, headers=headers)
        except requests.exceptions.RequestException as error:
            if _never_sent(error):
                raise ProviderUnavailable("PayPal could not be reached") from None
            raise ProviderTimeout("PayPal did not answer in time") from None
        except paypal_errors.ResourceConflict:
            # The same PayPal-Request-Id is still being worked on: the answer comes later.
            raise ProviderPending("PayPal is still processing this request") from None
        except paypal_errors.ClientError as error:
            if error.response.status_code in (401, 403, 429):
                raise ProviderUnavailable(
                    f"PayPal refused the call ({error.response.status_code})"
                ) from None
            raise
        except paypal_errors.ConnectionError as error:  # 5xx, 3xx, anything unexpected
            status = getattr(error.response, "status_code", "?")
            if moves_money:
                raise ProviderTimeout(f"PayPal answered {status}: the outcome is unknown") from None
            raise ProviderUnavailable(f"PayPal failed the call ({status})") from None

    @staticmethod
    def _rejected(error: paypal_errors.ConnectionError, reference: str = "") -> ProviderResult:
        issue, description = _issue(error)
        if issue in ("INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "TRANSACTION_REFUSED"):
            return ProviderResult(
                Outcome.DECLINED, reference, "generic_decline", description or issue
            )
        return ProviderResult(
            Outcome.FAILED,
            reference,
            "processing_error",
            (description or issue or "PayPal rejected the request.")[:300],
        )

    def _order(self, order_id: str) -> dict:
        return self._send("GET", f"v2/checkout/orders/{order_id}")

    # --- the Provider protocol -------------------------------------------------------------

    def authorize(self, request: AuthorizationRequest) -> ProviderResult:
        if not request.capture:
            return ProviderResult(
                Outcome.FAILED, "", "processing_error", "PayPal payments capture automatically."
            )
        try:
            amount = _money(request.amount_minor, request.currency)
        except NotInPayPalUnits as error:
            return ProviderResult(Outcome.FAILED, "", "processing_error", str(error))
        unit = {"reference_id": "default", "amount": amount}
        if request.payment_id:
            unit["custom_id"] = request.payment_id
        if request.description:
            unit["description"] = request.description[:127]
        body = {
            "intent": "CAPTURE",
            "purchase_units": [unit],
            "payment_source": {
                "paypal": {
                    "experience_context": {
                        "return_url": request.return_url,
                        "cancel_url": request.return_url,
                        "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                    }
                }
            },
        }
        try:
            order = self._send(
                "POST", "v2/checkout/orders", body, request_id=request.idempotency_key
            )
        except paypal_errors.ClientError as error:
            return self._rejected(error)
        return self._order_result(order)

    @staticmethod
    def _order_result(order: dict) -> ProviderResult:
        status = order.get("status")
        if status in ("CREATED", "SAVED", "PAYER_ACTION_REQUIRED", "APPROVED"):
            return ProviderResult(Outcome.PENDING, order["id"], redirect_url=_approval_link(order))
        if status == "COMPLETED":
            return ProviderResult(Outcome.SUCCEEDED, order["id"])
        return ProviderResult(
            Outcome.DECLINED, order.get("id", ""), "generic_decline", f"The order is {status}."
        )

    def capture(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        try:
            order = self._send(
                "POST",
                f"v2/checkout/orders/{reference}/capture",
                {},
                request_id=idempotency_key,
                moves_money=True,
            )
        except paypal_errors.ClientError as error:
            return self._rejected(error, reference)
        return self._capture_result(order)

    @staticmethod
    def _capture_result(order: dict) -> ProviderResult:
        statuses = {capture.get("status") for capture in _captures(order)}
        if "COMPLETED" in statuses:
            return ProviderResult(Outcome.SUCCEEDED, order["id"])
        if "PENDING" in statuses:
            raise ProviderPending(f"the capture of {order['id']} is pending at PayPal")
        return ProviderResult(
            Outcome.DECLINED, order["id"], "generic_decline", "PayPal declined the payment."
        )

    def void(self, *, idempotency_key, reference) -> ProviderResult:
        # An order that was never captured moves no money and simply expires at PayPal.
        return ProviderResult(Outcome.SUCCEEDED, reference)

    def refund(self, *, idempotency_key, reference, amount_minor, currency) -> ProviderResult:
        try:
            captures = [c for c in _captures(self._order(reference)) if c.get("id")]
            if not captures:
                return ProviderResult(
                    Outcome.FAILED, "", "processing_error", "The order has no capture."
                )
            refund = self._send(
                "POST",
                f"v2/payments/captures/{captures[0]['id']}/refund",
                {"amount": _money(amount_minor, currency)},
                request_id=idempotency_key,
                moves_money=True,
            )
        except paypal_errors.ClientError as error:
            return self._rejected(error)
        except NotInPayPalUnits as error:
            return ProviderResult(Outcome.FAILED, "", "processing_error", str(error))
        status = refund.get("status")
        if status == "COMPLETED":
            return ProviderResult(Outcome.SUCCEEDED, refund["id"])
        if status == "PENDING":
            raise ProviderPending(f"refund {refund['id']} is pending at PayPal")
        return ProviderResult(Outcome.FAILED, refund.get("id", ""), "processing_error", status)

    def lookup(self, *, idempotency_key, kind="", reference="") -> ProviderResult | None:
        """Read the order. Refunds, and orders whose creation never answered, are asked
        again with the same PayPal-Request-Id, which PayPal answers from its record."""
        if kind == "void":
            return ProviderResult(Outcome.SUCCEEDED, reference)
        if not reference or kind == "refund":
            return None
        try:
            order = self._order(reference)
        except paypal_errors.ClientError as error:
            return self._rejected(error, reference)
        if kind == "capture":
            if order.get("status") == "APPROVED":
                return None  # the capture never arrived: send it again
            return self._capture_result(order)
        return self._order_result(order)

    def lookup_proves_absence(self, *, kind: str, reference: str) -> bool:
        """An approved order shows it was never captured; a refund is only known by
        asking again under its PayPal-Request-Id."""
        return kind == "capture" and bool(reference)

    def payment_state(self, *, reference: str) -> ProviderPaymentState:
        try:
            order = self._order(reference)
        except paypal_errors.ClientError as error:
            raise ProviderUnavailable(f"PayPal refused the lookup: {_issue(error)[0]}") from None
        status = order.get("status")
        captures = _captures(order)
        completed = [c for c in captures if c.get("status") in ("COMPLETED", "PARTIALLY_REFUNDED")]
        completed += [c for c in captures if c.get("status") == "REFUNDED"]
        if status == "APPROVED":
            state = "approved"
        elif status == "COMPLETED" and completed:
            state = "captured"
        elif status == "COMPLETED" and any(c.get("status") == "PENDING" for c in captures):
            state = "pending"
        elif status == "COMPLETED":
            state = "failed"
        elif status == "VOIDED":
            state = "canceled"
        else:
            state = "pending"
        return ProviderPaymentState(
            reference=reference,
            status=state,
            amount_captured_minor=sum(_minor(c["amount"]) for c in completed if c.get("amount")),
            decline_code="generic_decline" if state == "failed" else "",
            message="PayPal declined the payment." if state == "failed" else "",
            redirect_url=_approval_link(order),
        )

    # --- inbound webhooks -----------------------------------------------------------------

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderWebhookEvent:
        """Ask PayPal to verify the event (verify-webhook-signature) before using it."""
        if not self._webhook_id:
            raise WebhookInvalid("no webhook id is configured for this account")
        values = {field: headers.get(header, "") for field, header in _WEBHOOK_HEADERS.items()}
        if not all(values.values()):
            raise WebhookInvalid("missing PayPal transmission headers")
        try:
            event = json.loads(body)
        except ValueError:
            raise WebhookInvalid("the body is not JSON") from None
        if not isinstance(event, dict) or not event.get("id"):
            raise WebhookInvalid("the body is not a PayPal event")
        try:
            answer = self._send(
                "POST",
                "v1/notifications/verify-webhook-signature",
                {**values, "webhook_id": self._webhook_id, "webhook_event": event},
            )
        except paypal_errors.ClientError:
            raise WebhookInvalid("PayPal did not verify the event") from None
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookInvalid("PayPal did not verify the event")
        resource = as_mapping(event.get("resource"))
        related = as_mapping(as_mapping(resource.get("supplementary_data")).get("related_ids"))
        object_id = related.get("order_id")
        if not object_id and str(event.get("event_type", "")).startswith("CHECKOUT.ORDER."):
            object_id = resource.get("id")
        return ProviderWebhookEvent(
            id=str(event["id"]),
            type=str(event.get("event_type", "")),
            object_id=object_id if isinstance(object_id, str) else "",
        )
