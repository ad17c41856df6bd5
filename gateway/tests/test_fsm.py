"""A protected state field reloads safely in threads (gateway.fsm)."""

import pytest

from gateway.tests.concurrency import run_concurrently
from merchants.enums import MerchantStatus
from merchants.models import Merchant
from merchants.services import merchant_create


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_reload_protected_states_at_once():
    # given: one instance per thread, as each request of a threaded worker has its own
    merchant, _ = merchant_create(name="Shop", email="ops@shop.test", actor="test")

    def reload(_index: int) -> set[str]:
        instance = Merchant.objects.get(pk=merchant.pk)
        for _ in range(50):
            instance.refresh_from_db()
        return {instance.status}

    # when
    seen = run_concurrently(8, reload)

    # then: no reload was refused, and the field is still protected
    assert seen == [{MerchantStatus.ACTIVE}] * 8
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        merchant.status = MerchantStatus.CLOSED


@pytest.mark.django_db
def test_a_partial_reload_keeps_the_state_and_a_failed_one_restores_it():
    merchant, _ = merchant_create(name="Shop", email="ops@shop.test", actor="test")
    Merchant.objects.filter(pk=merchant.pk).update(name="Renamed")

    merchant.refresh_from_db(fields=["name"])
    assert (merchant.name, merchant.status) == ("Renamed", MerchantStatus.ACTIVE)

    with pytest.raises(Merchant.DoesNotExist):
        merchant.refresh_from_db(from_queryset=Merchant.objects.none())
    assert merchant.status == MerchantStatus.ACTIVE
