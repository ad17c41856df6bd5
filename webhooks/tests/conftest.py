import ipaddress
import socket

import pytest
from django.db import transaction

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
def make_receiver():
    started: list = []

    def start(script=None) -> Receiver:
        receiver = Receiver(script).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(make_receiver) -> Receiver:
    return make_receiver()


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.stop()


@pytest.fixture
def make_endpoint(merchant):
    def create(url: str, *, events=("*",), livemode: bool = False, owner=None):
        return webhook_endpoint_create(
            merchant=owner or merchant,
            livemode=livemode,
            url=url,
            enabled_events=list(events),
            description="",
            actor="test",
        )

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
