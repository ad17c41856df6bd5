import pytest
from django.contrib.auth.models import Group
from django_fsm import TransitionNotAllowed

from gateway.audit import AuditLog
from merchants.services import (
    merchant_activate,
    merchant_close,
    merchant_create,
    merchant_suspend,
)

pytestmark = pytest.mark.django_db

# (starting transitions, transition to try, allowed?)
TRANSITIONS = [
    ([], merchant_suspend, True),
    ([], merchant_close, True),
    ([], merchant_activate, False),
    ([merchant_suspend], merchant_activate, True),
    ([merchant_suspend], merchant_suspend, False),
    ([merchant_suspend], merchant_close, True),
    ([merchant_close], merchant_activate, False),
    ([merchant_close], merchant_suspend, False),
    ([merchant_close], merchant_close, False),
]


@pytest.mark.parametrize("before, service, allowed", TRANSITIONS)
def test_merchant_lifecycle_transitions(before, service, allowed):
    merchant, _ = merchant_create(name="M", email="m@m.test", actor="test")
    for step in before:
        merchant = step(merchant=merchant, actor="test", reason="setup")
    status_before = merchant.status
    audits_before = AuditLog.objects.count()

    if allowed:
        service(merchant=merchant, actor="admin:alice", reason="because")
        assert AuditLog.objects.latest("id").reason == "because"
        assert AuditLog.objects.latest("id").actor == "admin:alice"
    else:
        with pytest.raises(TransitionNotAllowed):
            service(merchant=merchant, actor="test", reason="nope")
        merchant.refresh_from_db()
        assert merchant.status == status_before
        assert AuditLog.objects.count() == audits_before


def test_status_cannot_be_assigned_directly():
    merchant, _ = merchant_create(name="M", email="m@m.test", actor="test")

    with pytest.raises(AttributeError):
        merchant.status = "closed"


def test_staff_groups_exist_with_their_permissions():
    support = Group.objects.get(name="support")
    finance = Group.objects.get(name="finance")
    admin = Group.objects.get(name="admin")

    assert support.permissions.filter(codename="view_merchant").exists()
    assert not support.permissions.filter(codename="change_merchant").exists()
    assert finance.permissions.filter(codename="view_auditlog").exists()
    assert admin.permissions.filter(codename="change_merchant").exists()
