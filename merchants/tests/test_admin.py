import re

import pytest
from django.contrib.auth.models import User

from gateway.audit import AuditLog
from merchants.models import ApiKey, FeeRule, Merchant
from merchants.services import merchant_close
from payments.fees import fee_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("alice", "alice@ops.test", "a-long-password-123")
    client.force_login(user)
    return client


def test_adding_a_key_in_the_admin_shows_its_secret_once(staff_client, merchant, client_for):
    response = staff_client.post(
        "/admin/merchants/apikey/add/",
        {"merchant": merchant.pk, "kind": "secret", "livemode": "on"},
    )

    assert response.status_code == 200
    plaintext = re.search(rb"sk_live_[A-Za-z0-9]{32}", response.content).group().decode()
    assert client_for(plaintext).get("/v1/account").json()["livemode"] is True
    listing = staff_client.get("/admin/merchants/apikey/")
    detail = staff_client.get(f"/admin/merchants/apikey/{ApiKey.objects.first().pk}/change/")
    for page in (listing, detail):
        assert plaintext.encode() not in page.content
    assert AuditLog.objects.filter(action="api_key.created", actor="admin:alice").exists()


def test_a_closed_merchant_gets_no_key_in_the_admin(staff_client, merchant):
    merchant_close(merchant=merchant, actor="test", reason="asked to leave")
    keys_before = ApiKey.objects.count()

    response = staff_client.post(
        "/admin/merchants/apikey/add/",
        {"merchant": merchant.pk, "kind": "secret", "livemode": "on"},
    )

    assert response.status_code == 200  # the form again
    assert b"A closed merchant gets no keys." in response.content
    assert ApiKey.objects.count() == keys_before


def test_adding_a_merchant_in_the_admin_activates_it_and_shows_its_keys(staff_client):
    response = staff_client.post(
        "/admin/merchants/merchant/add/", {"name": "Zed", "email": "z@zed.test"}
    )

    assert response.status_code == 200
    assert len(re.findall(rb"[sp]k_(?:test|live)_[A-Za-z0-9]{32}", response.content)) == 4
    assert Merchant.objects.get(name="Zed").status == "active"


def test_suspending_from_the_admin_asks_for_a_reason_and_audits_it(staff_client, merchant):
    action = {"action": "suspend", "_selected_action": [merchant.pk]}

    confirm_page = staff_client.post("/admin/merchants/merchant/", action)
    done = staff_client.post(
        "/admin/merchants/merchant/", {**action, "confirm": "yes", "reason": "chargebacks"}
    )

    assert b"reason" in confirm_page.content
    assert done.status_code == 302
    merchant.refresh_from_db()
    assert merchant.status == "suspended"
    audit = AuditLog.objects.get(action="merchant.suspend")
    assert (audit.actor, audit.reason) == ("admin:alice", "chargebacks")


def test_revoking_from_the_admin_needs_the_reason(staff_client, keys, client_for, merchant):
    key = ApiKey.objects.get(merchant=merchant, kind="secret", livemode=False)
    action = {"action": "revoke", "_selected_action": [key.pk], "confirm": "yes"}

    staff_client.post("/admin/merchants/apikey/", {**action, "reason": ""})
    assert client_for(keys["test_secret"]).get("/v1/account").status_code == 200
    staff_client.post("/admin/merchants/apikey/", {**action, "reason": "leaked in a log"})

    assert client_for(keys["test_secret"]).get("/v1/account").status_code == 401


def _change_form(staff_client, merchant) -> dict:
    """The merchant's change form as the page sends it, inlines included."""
    page = staff_client.get(f"/admin/merchants/merchant/{merchant.pk}/change/")
    form = {"name": merchant.name, "email": merchant.email}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        form.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        for index, inline_form in enumerate(formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value not in (None, False):
                    form[f"{formset.prefix}-{index}-{name}"] = value
    return form


def _post_change(staff_client, merchant, form: dict):
    return staff_client.post(f"/admin/merchants/merchant/{merchant.pk}/change/", form)


def test_editing_a_merchant_in_the_admin_is_audited_with_the_values_before_and_after(
    staff_client, merchant
):
    form = {**_change_form(staff_client, merchant), "name": "Acme Two"}

    response = _post_change(staff_client, merchant, form)

    assert response.status_code == 302, response.content
    merchant.refresh_from_db()
    assert merchant.name == "Acme Two"
    audit = AuditLog.objects.get(action="merchant.updated", object_id=merchant.pk)
    assert audit.actor == "admin:alice"
    assert audit.data == {"changed": {"name": ["Acme Shop", "Acme Two"]}}


def test_the_fee_schedule_is_edited_in_the_admin_and_every_change_audited(staff_client, merchant):
    # given: a usd rule added from the merchant's page
    form = _change_form(staff_client, merchant)
    form.update(
        {
            "fee_rules-TOTAL_FORMS": "1",
            "fee_rules-0-currency": "USD",
            "fee_rules-0-percent_bps": "150",
            "fee_rules-0-fixed_minor": "10",
        }
    )
    assert _post_change(staff_client, merchant, form).status_code == 302
    assert fee_for(merchant_id=merchant.pk, amount_minor=10_000, currency="usd") == 160

    # when: changed, then deleted
    form = {**_change_form(staff_client, merchant), "fee_rules-0-percent_bps": "200"}
    assert _post_change(staff_client, merchant, form).status_code == 302
    changed_fee = fee_for(merchant_id=merchant.pk, amount_minor=10_000, currency="usd")
    form = {**_change_form(staff_client, merchant), "fee_rules-0-DELETE": "on"}
    assert _post_change(staff_client, merchant, form).status_code == 302

    # then
    assert changed_fee == 210
    assert not FeeRule.objects.exists()
    audits = AuditLog.objects.filter(object_type="merchants.feerule").order_by("id")
    assert [(a.action, a.actor, a.merchant_id) for a in audits] == [
        ("fee_rule.saved", "admin:alice", merchant.pk),
        ("fee_rule.saved", "admin:alice", merchant.pk),
        ("fee_rule.deleted", "admin:alice", merchant.pk),
    ]
    usd_150 = {"percent_bps": 150, "fixed_minor": 10}
    usd_200 = {"percent_bps": 200, "fixed_minor": 10}
    assert [a.data for a in audits] == [
        {"currency": "usd", "before": None, "after": usd_150},
        {"currency": "usd", "before": usd_150, "after": usd_200},
        {"currency": "usd", "before": usd_200, "after": None},
    ]


@pytest.mark.parametrize(
    "currency, percent_bps, error",
    [("xyz", "100", b"ISO 4217"), ("usd", "10001", b"less than or equal to 10000"),
     ("usd", "-1", b"greater than or equal to 0")],
)  # fmt: skip
def test_a_fee_rule_the_gateway_cannot_use_is_refused(
    staff_client, merchant, currency, percent_bps, error
):
    form = _change_form(staff_client, merchant)
    form.update(
        {
            "fee_rules-TOTAL_FORMS": "1",
            "fee_rules-0-currency": currency,
            "fee_rules-0-percent_bps": percent_bps,
            "fee_rules-0-fixed_minor": "0",
        }
    )

    response = _post_change(staff_client, merchant, form)

    assert response.status_code == 200  # the form again, with the error
    assert error in response.content
    assert not FeeRule.objects.exists()
    assert not AuditLog.objects.filter(object_type="merchants.feerule").exists()


def test_rolling_a_key_in_the_admin_takes_a_grace_period_and_a_reason(
    staff_client, keys, client_for, merchant
):
    # given
    old = ApiKey.objects.get(merchant=merchant, kind="secret", livemode=False)
    action = {"action": "roll", "_selected_action": [old.pk]}

    # when
    form = staff_client.post("/admin/merchants/apikey/", action)
    done = staff_client.post(
        "/admin/merchants/apikey/",
        {**action, "confirm": "yes", "reason": "leaked in a CI log", "grace_hours": "2"},
    )

    # then: the new key is shown once, the old one works for two hours more
    assert b"grace_hours" in form.content
    plaintext = re.search(rb"sk_test_[A-Za-z0-9]{32}", done.content).group().decode()
    assert client_for(plaintext).get("/v1/account").status_code == 200
    assert client_for(keys["test_secret"]).get("/v1/account").status_code == 200
    audit = AuditLog.objects.get(action="api_key.rolled")
    assert (audit.reason, audit.data) == ("leaked in a CI log", {"grace_seconds": 7200})


def test_the_admin_refuses_a_grace_period_over_seven_days(staff_client, keys, merchant):
    old = ApiKey.objects.get(merchant=merchant, kind="secret", livemode=False)
    action = {"action": "roll", "_selected_action": [old.pk]}

    response = staff_client.post(
        "/admin/merchants/apikey/",
        {**action, "confirm": "yes", "reason": "r", "grace_hours": "169"},
    )

    assert response.status_code == 200  # the form again, with its error
    assert not AuditLog.objects.filter(action="api_key.rolled").exists()
