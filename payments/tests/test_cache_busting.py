"""Screening's cached reads follow a change in every process: busted at the change's
commit where the cache is shared (Redis), read afresh where it is not (the embedded
default's cache lives in each process, which another process's change never reaches)."""

import socket

import pytest

import gateway.cache
from fraud.models import BlocklistItem, FraudSettings
from payments.enums import ProviderAccountStatus
from payments.models import Payment, ProviderAccount
from payments.tests.conftest import card_data

pytestmark = pytest.mark.django_db

CARD = card_data("5555555555554444")


@pytest.fixture
def cache_shared(monkeypatch, request):
    monkeypatch.setattr(gateway.cache, "cache_is_shared", lambda: request.param)
    return request.param


@pytest.fixture
def changed_elsewhere(cache_shared, django_capture_on_commit_callbacks):
    """`with changed_elsewhere():` a change as another process makes it: with a shared
    cache its commit hooks run (they bust the shared entry); without, this process's
    cache hears nothing of it."""
    if cache_shared:
        return lambda: django_capture_on_commit_callbacks(execute=True)
    return lambda: django_capture_on_commit_callbacks(execute=False)


@pytest.mark.parametrize("cache_shared", [True, False], indirect=True)
def test_a_card_blocklisted_after_a_payment_blocks_the_next_one(pay, merchant, changed_elsewhere):
    # given: a payment screened while the merchant listed nothing
    first = pay(payment_method_data=CARD)
    assert first.status_code == 200

    # when
    with changed_elsewhere():
        BlocklistItem.objects.create(
            merchant=merchant, livemode=False, type="card_bin", value="555555"
        )
    second = pay(payment_method_data=CARD)

    # then
    assert second.status_code == 402
    assert second.json()["error"]["code"] == "fraud_blocked"


@pytest.mark.parametrize("cache_shared", [True, False], indirect=True)
def test_thresholds_changed_after_a_payment_apply_to_the_next_one(pay, merchant, changed_elsewhere):
    # given
    assert pay(payment_method_data=CARD).status_code == 200

    # when: every score blocks
    with changed_elsewhere():
        FraudSettings.objects.create(
            merchant=merchant, three_d_secure_from=0, review_from=0, block_from=0
        )
    response = pay(payment_method_data=CARD)

    # then
    assert response.json()["error"]["code"] == "fraud_blocked"


@pytest.mark.parametrize("cache_shared", [True, False], indirect=True)
def test_a_provider_account_deleted_after_a_payment_takes_no_more(
    pay, add_account, changed_elsewhere
):
    # given: payments routed to a simulator account of the merchant's
    account_id, _ = add_account("simulator")
    first = pay(payment_method_data=CARD).json()["id"]
    assert Payment.objects.get(pk=first).provider_account_id == account_id

    # when
    with changed_elsewhere():
        account = ProviderAccount.objects.get(pk=account_id)
        account.status = ProviderAccountStatus.DELETED
        account.save()
    second = pay(payment_method_data=CARD).json()["id"]

    # then: the built-in simulator took it
    assert Payment.objects.get(pk=second).provider_account_id is None


def test_payments_go_on_reading_the_database_when_the_cache_is_unreachable(pay, settings):
    # given a shared cache that cannot be reached (TESTING T29)
    settings.CACHES = {
        "default": {
            "BACKEND": "gateway.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    # when
    response = pay()

    # then routing and screening read the database
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "captured"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
