import ipaddress
import socket

import pytest
import time_machine
from django.db import transaction
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.events import event_emit
from webhooks.services import webhook_endpoint_create
from webhooks.tests.receiver import Canary, Receiver


@pytest.fixture(autouse=True)
def connections(monkeypatch):
    """Every TCP connect the test process makes, as (host, port). Anything but loopback
    is refused before it leaves, so no test can send traffic off this machine."""
    attempts: list[tuple[str, int]] = []
    original = socket.socket.connect

    def connect(sock, address):
        if isinstance(address, tuple):
            host = str(address[0])
            attempts.append((host, address[1]))
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                raise ConnectionRefusedError(f"test network guard: {host} is not loopback")
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def secrets_by_url() -> dict[str, list[str]]:
    """Secrets of the endpoints `make_endpoint` created, by URL."""
    return {}


@pytest.fixture
def make_receiver(secrets_by_url):
    """Loopback receivers; when the test ends, every whole request one of them got for
    an endpoint made by `make_endpoint` must pass the independent Standard Webhooks
    verifier (`standardwebhooks`) with that endpoint's secret, at the request's time."""
    started: list = []

    def start(script=None) -> Receiver:
        receiver = Receiver(script).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
        for received in receiver.requests:
            secrets = secrets_by_url.get(f"http://127.0.0.1:{receiver.port}{received.path}")
            if secrets and received.complete:
                _verify_independently(received, secrets)


def _verify_independently(received, secrets: list[str]) -> None:
    at = int(received.headers["webhook-timestamp"])
    with time_machine.travel(at, tick=False):
        errors = []
        for secret in secrets:
            try:
                Webhook(secret).verify(received.body, received.headers)
                return
            except WebhookVerificationError as exc:
                errors.append(exc)
    raise AssertionError(f"a delivery failed independent verification: {errors}")


@pytest.fixture
def receiver(make_receiver) -> Receiver:
    return make_receiver()


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.stop()


@pytest.fixture
def make_endpoint(merchant, secrets_by_url):
    def create(url: str, *, events=("*",), livemode: bool = False, owner=None):
        issued = webhook_endpoint_create(
            merchant=owner or merchant,
            livemode=livemode,
            url=url,
            enabled_events=list(events),
            description="",
            actor="test",
        )
        secrets_by_url.setdefault(url, []).append(issued.secret)
        return issued

    return create


@pytest.fixture
def emit(merchant):
    """`emit(type)`: commit an event the way services do (inside their transaction)."""
    counter = iter(range(1, 1_000_000))

    def create(event_type: str = "payment.captured", *, livemode: bool = False, owner=None):
        owner = owner or merchant
        with transaction.atomic():
            return event_emit(
                type=event_type,
                snapshot={"id": f"pay_test{next(counter)}", "object": "payment", "amount": 1000},
                merchant_id=owner.id,
                livemode=livemode,
            )

    return create
