import base64
import hmac
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from merchants import keys as key_format
from merchants.models import ApiKey
from merchants.services import api_key_revoke, api_key_roll, merchant_close, merchant_suspend

pytestmark = pytest.mark.django_db


def _key_row(plaintext: str) -> ApiKey:
    return ApiKey.objects.get(prefix=key_format.lookup_prefix(plaintext))


def assert_auth_error(response, code: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == code


@pytest.mark.parametrize("key_name, livemode", [("test_secret", False), ("live_secret", True)])
def test_valid_secret_key_returns_the_account_in_its_mode(
    client_for, keys, merchant, key_name, livemode
):
    response = client_for(keys[key_name]).get("/v1/account")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == merchant.id
    assert body["object"] == "account"
    assert body["status"] == "active"
    assert body["livemode"] is livemode
    assert isinstance(body["created"], int)


def test_basic_auth_with_the_key_as_username_works(api_client, keys):
    credentials = base64.b64encode(f"{keys['test_secret']}:".encode()).decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert api_client.get("/v1/account").status_code == 200


def test_missing_key_is_401_json(api_client):
    response = api_client.get("/v1/account")

    assert_auth_error(response, "invalid_api_key")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Token sk_test_x", "Bearer ", "Basic !!"])
def test_malformed_key_is_401(api_client, header, merchant):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    assert_auth_error(api_client.get("/v1/account"), "invalid_api_key")


def test_wrong_key_with_a_real_prefix_is_401(client_for, keys):
    real = keys["test_secret"]
    forged = real[:-4] + ("aaaa" if not real.endswith("aaaa") else "bbbb")

    assert_auth_error(client_for(forged).get("/v1/account"), "invalid_api_key")


def test_a_key_moved_to_the_other_mode_is_refused(client_for, keys):
    """Editing the mode segment of a real key does not make a live key."""
    forged = keys["test_secret"].replace("sk_test_", "sk_live_", 1)

    assert_auth_error(client_for(forged).get("/v1/account"), "invalid_api_key")


def test_publishable_key_is_refused_on_secret_only_endpoints(client_for, keys):
    response = client_for(keys["test_publishable"]).get("/v1/account")

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert response.json()["error"]["code"] == "secret_key_required"


def test_revoked_key_fails_on_the_next_request(client_for, keys):
    client = client_for(keys["test_secret"])
    assert client.get("/v1/account").status_code == 200

    api_key_revoke(api_key=_key_row(keys["test_secret"]), actor="test", reason="leaked")

    assert_auth_error(client.get("/v1/account"), "api_key_expired")


def test_rolled_key_without_grace_stops_at_once_and_the_new_key_works(client_for, keys):
    issued = api_key_roll(api_key=_key_row(keys["test_secret"]), actor="test")

    assert_auth_error(client_for(keys["test_secret"]).get("/v1/account"), "api_key_expired")
    assert client_for(issued.plaintext).get("/v1/account").status_code == 200


def test_rolled_key_works_within_its_grace_period_and_not_after(client_for, keys):
    issued = api_key_roll(
        api_key=_key_row(keys["test_secret"]), grace=timedelta(hours=1), actor="test"
    )
    old, new = client_for(keys["test_secret"]), client_for(issued.plaintext)

    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        assert old.get("/v1/account").status_code == 200
        assert new.get("/v1/account").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert_auth_error(old.get("/v1/account"), "api_key_expired")
        assert new.get("/v1/account").status_code == 200


def test_a_key_in_its_grace_period_is_not_rolled_again(client_for, keys):
    first = _key_row(keys["test_secret"])
    api_key_roll(api_key=first, grace=timedelta(hours=1), actor="test")

    with pytest.raises(ValueError, match="rolled already"):
        api_key_roll(api_key=first, grace=timedelta(days=7), actor="test")

    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert_auth_error(client_for(keys["test_secret"]).get("/v1/account"), "api_key_expired")
    siblings = ApiKey.objects.filter(merchant_id=first.merchant_id, kind=first.kind, livemode=False)
    assert siblings.count() == 2  # the first and its one replacement


def test_suspended_merchant_still_authenticates_and_sees_its_status(test_client, merchant):
    merchant_suspend(merchant=merchant, actor="test", reason="review")

    response = test_client.get("/v1/account")

    assert response.status_code == 200
    assert response.json()["status"] == "suspended"


def test_closed_merchant_keys_stop_working(test_client, merchant):
    merchant_close(merchant=merchant, actor="test", reason="offboarded")

    assert_auth_error(test_client.get("/v1/account"), "account_closed")


def test_keys_are_stored_only_as_a_keyed_hash(keys, merchant):
    rows = list(ApiKey.objects.filter(merchant=merchant))

    assert len(rows) == 4
    stored_text = " ".join(f"{row.prefix} {row.key_hash}" for row in rows)
    for plaintext in keys.values():
        assert plaintext not in stored_text
        row = _key_row(plaintext)
        assert row.key_hash == key_format.key_hash(plaintext)
        assert len(row.prefix) < len(plaintext) - 16  # most of the key is never stored


def test_key_verification_uses_a_constant_time_comparison(test_client):
    with mock.patch("merchants.keys.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        assert test_client.get("/v1/account").status_code == 200

    compare.assert_called_once()


def test_unknown_prefix_still_runs_the_comparison(client_for, merchant):
    """No early exit for unknown prefixes: timing does not reveal which exist."""
    unknown = key_format.generate("secret", livemode=False)
    with mock.patch("merchants.keys.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        assert client_for(unknown).get("/v1/account").status_code == 401

    compare.assert_called_once()
