"""A fake PayPal REST API on loopback: OAuth token, Orders v2, capture refunds and
webhook verification, with PayPal-Request-Id idempotency, recording every request.

Tests move an order on as the customer would (`approve`) and can put faults in
front of any path (`faults[(method, path_suffix)] = [HANG, ...]`).
"""

import base64
import re
import secrets

from payments.tests.fakes.secrets import register_secret
from payments.tests.fakes.servers import Recorded, Reply, StubServer


def _error(status: int, issue: str) -> Reply:
    return Reply(
        status,
        {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": issue, "description": issue}]},
    )


class FakePayPal:
    def __init__(self, *, client_id: str, client_secret: str):
        self.basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        register_secret(self.basic)
        self.tokens: list[str] = []
        self.orders: dict[str, dict] = {}
        self.by_request_id: dict[str, Reply] = {}
        self.faults: dict[tuple[str, str], list] = {}
        self.verification_status = "SUCCESS"
        self.server = StubServer(self._handle)

    # --- what the customer does at PayPal ---------------------------------------------------

    def approve(self, order_id: str) -> None:
        self.orders[order_id]["status"] = "APPROVED"

    # --- the API ----------------------------------------------------------------------------

    def _handle(self, request: Recorded):
        for (method, suffix), faults in self.faults.items():
            if request.method == method and request.path.endswith(suffix) and faults:
                return faults.pop(0)
        if request.path == "/v1/oauth2/token":
            return self._token(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return Reply(401, {"error": "invalid_token"})
        request_id = request.headers.get("paypal-request-id")
        if request.method == "POST" and request_id in self.by_request_id:
            return self.by_request_id[request_id]
        reply = self._route(request)
        if request.method == "POST" and request_id and reply.status < 500:
            self.by_request_id[request_id] = reply
        return reply

    def _token(self, request: Recorded) -> Reply:
        if request.headers.get("authorization") != f"Basic {self.basic}":
            return Reply(401, {"error": "invalid_client"})
        token = "A21AA" + secrets.token_urlsafe(24)
        register_secret(token)
        self.tokens.append(token)
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 32400})

    def _route(self, request: Recorded) -> Reply:
        path, method = request.path, request.method
        if method == "POST" and path == "/v2/checkout/orders":
            return self._create(request.json())
        if match := re.fullmatch(r"/v2/checkout/orders/(\w+)", path):
            order = self.orders.get(match[1])
            return Reply(200, order) if order else _error(404, "RESOURCE_NOT_FOUND")
        if match := re.fullmatch(r"/v2/checkout/orders/(\w+)/capture", path):
            return self._capture(match[1])
        if match := re.fullmatch(r"/v2/payments/captures/(\w+)/refund", path):
            body = request.json()
            refund = {"id": "REF" + secrets.token_hex(6).upper(), "status": "COMPLETED"}
            return Reply(201, {**refund, "amount": body.get("amount")})
        if path == "/v1/notifications/verify-webhook-signature":
            return Reply(200, {"verification_status": self.verification_status})
        return _error(404, "RESOURCE_NOT_FOUND")

    def _create(self, body: dict) -> Reply:
        order_id = "ORD" + secrets.token_hex(8).upper()
        self.orders[order_id] = {
            "id": order_id,
            "status": "PAYER_ACTION_REQUIRED",
            "intent": body["intent"],
            "purchase_units": [dict(unit) for unit in body["purchase_units"]],
            "links": [
                {"rel": "self", "href": f"{self.server.url}/v2/checkout/orders/{order_id}"},
                {
                    "rel": "payer-action",
                    "href": f"https://www.sandbox.paypal.test/checkoutnow?token={order_id}",
                },
            ],
        }
        return Reply(200, self.orders[order_id])

    def _capture(self, order_id: str) -> Reply:
        order = self.orders.get(order_id)
        if order is None:
            return _error(404, "RESOURCE_NOT_FOUND")
        if order["status"] != "APPROVED":
            return _error(422, "ORDER_NOT_APPROVED")
        unit = order["purchase_units"][0]
        unit["payments"] = {
            "captures": [
                {
                    "id": "CAP" + secrets.token_hex(6).upper(),
                    "status": "COMPLETED",
                    "amount": unit["amount"],
                }
            ]
        }
        order["status"] = "COMPLETED"
        return Reply(201, order)

    def calls(self, method: str, suffix: str) -> list[Recorded]:
        return [r for r in self.server.requests if r.method == method and r.path.endswith(suffix)]
