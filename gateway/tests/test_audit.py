"""The audit trail's own hooks (TESTING T15)."""

import pytest
from django.contrib.auth.models import User

from gateway.audit import AuditLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["alice", "nobody"], ids=["known-user", "unknown-user"])
def test_a_failed_staff_login_is_audited_without_the_password(client, username):
    User.objects.create_user("alice", password="the-right-password-123", is_staff=True)

    page = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": "a-wrong-password-456"},
        REMOTE_ADDR="198.51.100.7",
    )

    assert page.status_code == 200  # the form again
    row = AuditLog.objects.get(action="staff.login_failed")
    assert (row.actor, row.object_id, row.data) == ("anonymous", username, {"ip": "198.51.100.7"})
    assert "a-wrong-password-456" not in str(row.__dict__)


def test_a_card_number_typed_as_the_user_name_is_kept_masked(client):
    client.post("/admin/login/", {"username": "4242424242424242", "password": "x"})

    assert AuditLog.objects.get(action="staff.login_failed").object_id == "424242******4242"
