import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from merchants import keys as key_format
from merchants.models import ApiKey, Merchant
from merchants.services import merchant_close

pytestmark = pytest.mark.django_db

KEY = {
    ("test", "secret_key"): r"sk_test_[A-Za-z0-9]{32}",
    ("test", "publishable_key"): r"pk_test_[A-Za-z0-9]{32}",
    ("live", "secret_key"): r"sk_live_[A-Za-z0-9]{32}",
    ("live", "publishable_key"): r"pk_live_[A-Za-z0-9]{32}",
}


def test_create_merchant_json_prints_exactly_one_object_of_the_documented_shape(client_for):
    out = io.StringIO()

    call_command(
        "create_merchant", "--name", "Bolt", "--email", "b@bolt.test", "--json", stdout=out
    )

    document = json.loads(out.getvalue())  # fails if anything else was printed
    assert set(document) == {"id", "name", "test", "live"}
    assert re.fullmatch(r"mer_[0-9a-z]{26}", document["id"])
    assert document["name"] == "Bolt"
    for (mode, field), pattern in KEY.items():
        assert set(document[mode]) == {"secret_key", "publishable_key"}
        assert re.fullmatch(pattern, document[mode][field])
    merchant = Merchant.objects.get(pk=document["id"])
    assert merchant.status == "active"
    assert ApiKey.objects.filter(merchant=merchant).count() == 4
    response = client_for(document["live"]["secret_key"]).get("/v1/account")
    assert response.json() == {**response.json(), "id": merchant.id, "livemode": True}


def test_demo_merchant_is_created_once():
    first, second = io.StringIO(), io.StringIO()

    call_command("demo_merchant", stdout=first)
    call_command("demo_merchant", stdout=second)

    assert "sk_test_" in first.getvalue()
    assert "sk_test_" not in second.getvalue()
    assert Merchant.objects.count() == 1


def test_roll_api_key_command_prints_a_working_new_key(merchant, keys, client_for):
    out = io.StringIO()

    call_command("roll_api_key", "--merchant", merchant.id, "--grace", "0", stdout=out)

    new_key = re.search(r"sk_test_[A-Za-z0-9]{32}", out.getvalue()).group()
    assert client_for(new_key).get("/v1/account").status_code == 200
    assert client_for(keys["test_secret"]).get("/v1/account").status_code == 401


@pytest.mark.parametrize(
    "name, email, param",
    [("", "ops@shop.test", "--name"), ("x" * 201, "ops@shop.test", "--name"),
     ("Shop", "not-an-email", "--email")],
)  # fmt: skip
def test_create_merchant_refuses_bad_input_and_creates_nothing(name, email, param):
    with pytest.raises(CommandError, match=param):
        call_command("create_merchant", "--name", name, "--email", email, stdout=io.StringIO())

    assert not Merchant.objects.exists()
    assert not ApiKey.objects.exists()


def test_rolling_again_rolls_the_replacement_not_the_key_in_its_grace(merchant, keys):
    def roll() -> str:
        out = io.StringIO()
        call_command("roll_api_key", "--merchant", merchant.id, "--grace", "3600", stdout=out)
        return re.search(r"sk_test_[A-Za-z0-9]{32}", out.getvalue()).group()

    first_replacement = roll()
    roll()

    original, replaced = (
        ApiKey.objects.get(prefix=key_format.lookup_prefix(key))
        for key in (keys["test_secret"], first_replacement)
    )
    assert replaced.expires_at is not None
    assert original.expires_at < replaced.expires_at  # its grace was not extended


@pytest.mark.parametrize("grace", ["-1", "604801", "99999999999999"])
def test_roll_api_key_refuses_a_grace_period_outside_seven_days(merchant, keys, client_for, grace):
    with pytest.raises(CommandError, match="--grace"):
        call_command("roll_api_key", "--merchant", merchant.id, "--grace", grace)

    assert client_for(keys["test_secret"]).get("/v1/account").status_code == 200


def test_a_closed_merchants_keys_are_not_rolled(merchant):
    merchant_close(merchant=merchant, actor="test", reason="asked to leave")

    with pytest.raises(CommandError, match="a closed merchant gets no keys"):
        call_command("roll_api_key", "--merchant", merchant.id)

    assert ApiKey.objects.filter(merchant=merchant).count() == 4  # no new one
