"""The fraud admin: per-merchant settings with rule weights, blocklists added through
the audited service, assessments read-only."""

import pytest
from django.contrib.auth.models import Group, User

from fraud.models import BlocklistItem, FraudSettings
from gateway.audit import AuditLog

pytestmark = pytest.mark.django_db


def test_settings_with_rule_weights_are_edited_in_the_admin(staff_client, merchant):
    response = staff_client.post(
        "/admin/fraud/fraudsettings/add/",
        {
            "merchant": merchant.pk,
            "is_enabled": "on",
            "three_d_secure_from": 20,
            "review_from": 40,
            "block_from": 60,
            "rules-TOTAL_FORMS": 1,
            "rules-INITIAL_FORMS": 0,
            "rules-0-rule": "velocity_card",
            "rules-0-weight": 50,
        },
    )

    assert response.status_code == 302, response.content[:2000]
    settings = FraudSettings.objects.get(merchant=merchant)
    assert (settings.three_d_secure_from, settings.block_from) == (20, 60)
    rule = settings.rules.get()
    assert (rule.rule, rule.is_enabled, rule.weight) == ("velocity_card", False, 50)
    audit = AuditLog.objects.get(action="fraud_settings.changed")
    assert (audit.actor, audit.merchant_id) == ("admin:alice", merchant.pk)
    assert audit.data["changed"]["block_from"][1] == 60
    assert audit.data["rules"] == [
        {"rule": "velocity_card", "changed": ["rule", "is_enabled", "weight"]}
    ]


def test_turning_screening_off_is_audited_with_the_value_before(staff_client, merchant):
    settings = FraudSettings.objects.create(merchant=merchant)
    form = {
        "merchant": merchant.pk,
        "three_d_secure_from": settings.three_d_secure_from,
        "review_from": settings.review_from,
        "block_from": settings.block_from,
        "rules-TOTAL_FORMS": 0,
        "rules-INITIAL_FORMS": 0,
    }  # is_enabled left out: unchecked

    staff_client.post(f"/admin/fraud/fraudsettings/{settings.pk}/change/", form)

    assert FraudSettings.objects.get().is_enabled is False
    audit = AuditLog.objects.get(action="fraud_settings.changed")
    assert audit.data["changed"] == {"is_enabled": [True, False]}


@pytest.mark.parametrize("how", ["delete_view", "delete_selected"])
def test_deleting_a_merchants_settings_is_audited_with_its_terms(staff_client, merchant, how):
    # given tuned settings
    settings = FraudSettings.objects.create(merchant=merchant, three_d_secure_from=20)
    settings.rules.create(rule="country_mismatch", weight=50)

    # when they are deleted, from their page or from the list
    if how == "delete_view":
        staff_client.post(f"/admin/fraud/fraudsettings/{settings.pk}/delete/", {"post": "yes"})
    else:
        staff_client.post(
            "/admin/fraud/fraudsettings/",
            {"action": "delete_selected", "_selected_action": [settings.pk], "post": "yes"},
        )

    # then the merchant is back on the defaults, and the terms it had are on record
    assert not FraudSettings.objects.exists()
    audit = AuditLog.objects.get(action="fraud_settings.deleted")
    assert (audit.actor, audit.merchant_id) == ("admin:alice", merchant.pk)
    assert audit.data["three_d_secure_from"] == 20
    assert audit.data["rules"] == [{"rule": "country_mismatch", "is_enabled": True, "weight": 50}]


@pytest.mark.parametrize(("role", "may_change"), [("support", False), ("admin", True)])
def test_only_the_admin_group_tunes_screening_while_support_reviews(client, role, may_change):
    user = User.objects.create_user(role, password="a-long-enough-password", is_staff=True)
    user.groups.add(Group.objects.get(name=role))

    assert user.has_perm("fraud.change_fraudsettings") is may_change
    assert user.has_perm("fraud.change_blocklistitem") is may_change
    assert user.has_perm("fraud.change_review")
    assert user.has_perm("fraud.view_fraudsettings")


def test_thresholds_must_be_in_order(staff_client, merchant):
    response = staff_client.post(
        "/admin/fraud/fraudsettings/add/",
        {
            "merchant": merchant.pk,
            "three_d_secure_from": 60,
            "review_from": 40,
            "block_from": 70,
            "rules-TOTAL_FORMS": 0,
            "rules-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert not FraudSettings.objects.exists()


def test_blocklist_items_added_in_the_admin_are_normalized_and_audited(staff_client, merchant):
    response = staff_client.post(
        "/admin/fraud/blocklistitem/add/",
        {"merchant": merchant.pk, "livemode": "", "type": "email", "value": " Bad@Shop.TEST "},
    )

    assert response.status_code == 302
    item = BlocklistItem.objects.get()
    assert (item.value, item.livemode) == ("bad@shop.test", False)
    assert AuditLog.objects.get(action="blocklist_item.created").actor == "admin:alice"
    assert staff_client.get("/admin/fraud/blocklistitem/").status_code == 200
    assert staff_client.get("/admin/fraud/assessment/").status_code == 200
    assert staff_client.get("/admin/fraud/fraudsettings/").status_code == 200
