"""Idempotency-Key on every POST (SPEC §4; TESTING T01-T04).

The endpoints are the test-only ones of gateway/tests/idempotency_views.py: a charge
that creates a real Payment row and calls a counting fake provider, and an echo.
"""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.urls import include, path
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from gateway import crypto
from gateway.api.errors import IdempotencyError
from gateway.beat import SeedingDatabaseScheduler
from gateway.celery import app as celery_app
from gateway.idempotency import IdempotencyKey, idempotency_claim, idempotency_keys_purge
from gateway.tasks import idempotency_keys_purge_task
from gateway.tests.concurrency import connection_slots, run_concurrently
from gateway.tests.idempotency_views import ProcessKilled, faults, provider
from gateway.tests.idempotency_views import router as idempotency_router
from merchants.services import merchant_create
from payments.enums import PaymentStatus
from payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.urls("gateway.tests.urls")]

CHARGES = "/v1/_test/charges"
ECHO = "/v1/_test/idempotent_echo"
BODY = json.dumps({"amount": 1050, "currency": "usd"})
SAME_PARAMETERS = "Keys for idempotent requests can only be used with the same parameters"


@pytest.fixture(autouse=True)
def _fresh_fakes():
    provider.reset()
    faults.reset()
    yield
    provider.reset()
    faults.reset()


@pytest.fixture
def other_merchant_client(client_for):
    _, issued = merchant_create(name="Other Shop", email="ops@other.test", actor="test")
    return client_for(issued["test_secret"].plaintext)


def post(client, key: str | None, *, url: str = CHARGES, body: str = BODY):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(url, data=body, content_type="application/json", **headers)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["type"] == "idempotency_error"
    assert error["code"] == code
    return error


# --- replay ---------------------------------------------------------------------------


def test_repeat_replays_the_stored_response_byte_for_byte_without_a_second_effect(test_client):
    # given
    first = post(test_client, "order-1")

    # when
    repeat = post(test_client, "order-1")

    # then
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert first["Idempotency-Key"] == "order-1"
    assert repeat.status_code == 201
    assert repeat.content == first.content
    assert repeat["Idempotent-Replayed"] == "true"
    assert repeat["Content-Type"] == "application/json"
    assert repeat["Idempotency-Key"] == "order-1"
    assert Payment.objects.count() == 1
    assert provider.calls == 1


def test_the_claimed_key_is_linked_to_what_the_request_created(test_client, merchant):
    # when
    response = post(test_client, "order-1")

    # then
    claim = IdempotencyKey.objects.get()
    assert (claim.merchant, claim.livemode, claim.key) == (merchant, False, "order-1")
    assert claim.status == IdempotencyKey.Status.COMPLETED
    assert (claim.request_method, claim.request_path) == ("POST", CHARGES)
    assert claim.response_status == 201
    assert response.content not in bytes(claim.response_body)  # sealed at rest
    assert crypto.unseal(claim.response_body, aad=f"idempotency:{claim.pk}".encode()) == (
        response.content
    )
    assert Payment.objects.get().idempotency_key == claim


def test_without_the_header_nothing_changes(test_client):
    # when
    responses = [post(test_client, None) for _ in range(2)]

    # then
    assert [r.status_code for r in responses] == [201, 201]
    assert all("Idempotency-Key" not in r for r in responses)
    assert Payment.objects.count() == 2
    assert not Payment.objects.exclude(idempotency_key=None).exists()
    assert not IdempotencyKey.objects.exists()
    assert provider.calls == 2


def test_the_header_is_ignored_on_other_methods(test_client):
    # when
    response = test_client.get(ECHO, HTTP_IDEMPOTENCY_KEY="order-1")

    # then
    assert response.status_code == 200
    assert response.json() == {"idempotency_key": None}
    assert not IdempotencyKey.objects.exists()


# --- T02: key misuse ------------------------------------------------------------------


def test_same_key_with_a_different_body_is_refused_without_any_effect(test_client):
    # given
    post(test_client, "order-1")

    # when
    response = post(test_client, "order-1", body=json.dumps({"amount": 2000, "currency": "usd"}))

    # then
    error = error_of(response, 400, "idempotency_key_reused")
    assert error["message"].startswith(SAME_PARAMETERS)
    assert Payment.objects.count() == 1
    assert provider.calls == 1


@pytest.mark.parametrize(
    "same_parameters",
    ['{"currency": "usd", "amount": 1050}', '{\n  "amount": 1050,\n  "currency": "usd"\n}'],
    ids=["other-key-order", "pretty-printed"],
)
def test_same_parameters_serialized_otherwise_are_the_same_request(test_client, same_parameters):
    # given
    first = post(test_client, "order-1")

    # when
    retry = post(test_client, "order-1", body=same_parameters)

    # then: the replay, as Stripe compares parameters rather than bytes
    assert retry.status_code == first.status_code
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert provider.calls == 1


def test_same_key_on_another_endpoint_is_refused(test_client):
    # given
    post(test_client, "order-1")

    # when
    response = post(test_client, "order-1", url=ECHO)

    # then
    error = error_of(response, 400, "idempotency_key_reused")
    assert "same endpoint" in error["message"]
    assert f"'POST {CHARGES}' vs 'POST {ECHO}'" in error["message"]


def test_another_merchant_using_the_same_key_string_gets_its_own_result(
    test_client, other_merchant_client, merchant
):
    # given
    mine = post(test_client, "order-1")

    # when
    theirs = post(other_merchant_client, "order-1")

    # then
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != mine.json()["id"]
    assert Payment.objects.get(pk=theirs.json()["id"]).merchant != merchant
    assert IdempotencyKey.objects.filter(key="order-1").count() == 2
    assert provider.calls == 2


def test_test_and_live_mode_keys_are_independent(client_for, keys):
    # given
    in_test = post(client_for(keys["test_secret"]), "order-1")

    # when
    in_live = post(client_for(keys["live_secret"]), "order-1")

    # then
    assert in_live.status_code == 201
    assert "Idempotent-Replayed" not in in_live
    assert [in_test.json()["livemode"], in_live.json()["livemode"]] == [False, True]
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    "key",
    ["", "   ", "k" * 256, "clé", "commande-№1", "tab\tinside", "new\nline"],
    ids=["empty", "blank", "256-chars", "latin-1", "unicode", "tab", "newline"],
)
def test_malformed_keys_are_refused(test_client, key):
    # when
    response = post(test_client, key)

    # then
    error_of(response, 400, "idempotency_key_invalid")
    assert "Idempotency-Key" not in response
    assert not Payment.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert provider.calls == 0


@pytest.mark.parametrize("key", ["k" * 255, "a", "~ !printable ASCII with spaces! ~"])
def test_keys_of_1_to_255_printable_ascii_characters_are_accepted(test_client, key):
    # when
    response = post(test_client, key)

    # then
    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == key


# --- what is stored and what is not ---------------------------------------------------


def test_validation_failure_is_not_stored_and_the_key_stays_usable(test_client):
    # given
    refused = post(test_client, "order-1", body=json.dumps({"amount": "1050", "currency": "usd"}))

    # when
    accepted = post(test_client, "order-1")

    # then
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert accepted.status_code == 201
    assert "Idempotent-Replayed" not in accepted
    assert Payment.objects.count() == 1


def test_server_error_is_not_stored_and_the_retry_resumes_without_a_second_charge(test_client):
    # given: the provider charged, then the request failed with a 500
    faults.arm("after_charge", RuntimeError("lost the connection after the charge"))
    failed = post(test_client, "order-1")

    # when
    retried = post(test_client, "order-1")
    repeated = post(test_client, "order-1")

    # then
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "api_error"
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert retried.json()["status"] == PaymentStatus.CAPTURED
    assert repeated.content == retried.content
    assert repeated["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert provider.calls == 2  # the retry ran again ...
    assert len(provider.charges) == 1  # ... and the provider charged once


def test_server_error_keeps_the_key_bound_to_its_parameters(test_client):
    # given
    faults.arm("after_charge", RuntimeError("boom"))
    post(test_client, "order-1")

    # when
    response = post(test_client, "order-1", body=json.dumps({"amount": 1, "currency": "usd"}))

    # then
    error_of(response, 400, "idempotency_key_reused")


def test_decline_402_is_stored_and_replayed(test_client):
    # given
    body = json.dumps({"amount": 1050, "currency": "usd", "decline": True})
    declined = post(test_client, "order-1", body=body)

    # when
    repeat = post(test_client, "order-1", body=body)

    # then
    assert declined.status_code == 402
    assert declined.json()["error"]["type"] == "card_error"
    assert repeat.status_code == 402
    assert repeat.content == declined.content
    assert repeat["Idempotent-Replayed"] == "true"
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert provider.calls == 1


# --- T03/T04: a request that dies holding the key -------------------------------------


def test_retries_get_409_while_a_dead_request_holds_the_key_and_resume_after_the_timeout(
    test_client, settings
):
    # given: the process dies right after the provider charged
    settings.IDEMPOTENCY_LOCK_TIMEOUT = 1
    faults.arm("after_charge", ProcessKilled())
    with pytest.raises(ProcessKilled):
        post(test_client, "order-1")

    # when
    early = post(test_client, "order-1")
    time.sleep(1.1)
    late = post(test_client, "order-1")

    # then
    error_of(early, 409, "idempotency_key_in_use")
    assert late.status_code == 201
    assert late.json()["status"] == PaymentStatus.CAPTURED
    assert Payment.objects.count() == 1
    assert len(provider.charges) == 1
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.COMPLETED


def test_a_key_held_by_a_running_request_gets_409_and_no_effect(test_client, merchant):
    # given: another worker has claimed the key for this very request and is running it
    idempotency_claim(**_claim_request(merchant))

    # when
    response = post(test_client, "order-1")

    # then
    error_of(response, 409, "idempotency_key_in_use")
    assert response["Idempotency-Key"] == "order-1"
    assert not Payment.objects.exists()
    assert provider.calls == 0


def _claim_request(merchant) -> dict:
    """What ApiViewSet passes to idempotency_claim for `post(client, "order-1")`."""
    return {
        "merchant": merchant,
        "livemode": False,
        "key": "order-1",
        "method": "POST",
        "path": CHARGES,
        "body": BODY.encode(),
    }


def test_only_one_retry_takes_over_a_stale_lock(merchant):
    # given
    request = _claim_request(merchant)
    dead = idempotency_claim(**request)

    # when
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        winner = idempotency_claim(**request)
        with pytest.raises(IdempotencyError) as loser:
            idempotency_claim(**request)

    # then
    assert winner.pk == dead.pk
    assert winner.locked_at > dead.locked_at
    assert loser.value.status_code == 409
    assert loser.value.code == "idempotency_key_in_use"


# --- retention ------------------------------------------------------------------------


def _age(key: str, *, hours: float, locked_hours_ago: float | None = None) -> None:
    now = timezone.now()
    changes = {"created_at": now - timedelta(hours=hours)}
    if locked_hours_ago is not None:
        changes["locked_at"] = now - timedelta(hours=locked_hours_ago)
    IdempotencyKey.objects.filter(key=key).update(**changes)


def test_purge_deletes_only_keys_past_retention_that_no_request_holds(test_client):
    # given
    for key in ("old", "young", "old-held", "old-dead"):
        post(test_client, key)
    _age("old", hours=25)
    _age("young", hours=23.9)
    IdempotencyKey.objects.filter(key__startswith="old-").update(
        status=IdempotencyKey.Status.IN_PROGRESS
    )
    _age("old-held", hours=25, locked_hours_ago=0)  # taken over by a retry just now
    _age("old-dead", hours=25, locked_hours_ago=25)

    # when
    deleted = idempotency_keys_purge()

    # then
    assert deleted == 2
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"young", "old-held"}


def test_reusing_a_purged_key_is_a_new_request_and_the_old_payment_stays(test_client):
    # given
    old = post(test_client, "order-1")
    _age("order-1", hours=25)
    idempotency_keys_purge()

    # when
    new = post(test_client, "order-1")

    # then
    assert new.status_code == 201
    assert "Idempotent-Replayed" not in new
    assert new.json()["id"] != old.json()["id"]
    assert Payment.objects.get(pk=old.json()["id"]).idempotency_key_id is None
    assert Payment.objects.get(pk=new.json()["id"]).idempotency_key is not None


def test_purge_task_runs_the_purge(test_client):
    # given
    post(test_client, "order-1")
    _age("order-1", hours=25)

    # when
    deleted = idempotency_keys_purge_task.delay().get()

    # then
    assert deleted == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)  # the scheduler closes connections as beat does
def test_beat_schedule_runs_the_purge_hourly_from_the_database_scheduler():
    # when: beat starts and syncs CELERY_BEAT_SCHEDULE into its admin-editable tables
    scheduler = SeedingDatabaseScheduler(app=celery_app)
    scheduler._finalize()  # its at-exit sync, run now while the test database exists

    # then
    task = PeriodicTask.objects.get(name="idempotency-keys-purge")
    assert task.task == "gateway.tasks.idempotency_keys_purge_task"
    assert task.task in celery_app.tasks
    assert task.interval.schedule.run_every == timedelta(hours=1)
    assert task.enabled


# --- OpenAPI --------------------------------------------------------------------------


def test_schema_documents_the_header_on_every_post_and_only_there():
    # given
    generator = SchemaGenerator(patterns=[path("v1/", include(idempotency_router.urls))])

    # when
    schema = generator.get_schema(request=None, public=True)

    # then
    operations = {
        (method.upper(), url): operation
        for url, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert {"POST", "GET"} <= {method for method, _ in operations}
    for (method, _), operation in operations.items():
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        if method == "POST":
            assert [h["name"] for h in headers] == ["Idempotency-Key"]
            assert not headers[0].get("required", False)
            assert headers[0]["schema"]["maxLength"] == 255
        else:
            assert headers == []


# --- T01: 100 concurrent requests with one key (PostgreSQL) ---------------------------

THREADS = 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_t01_one_key_100_concurrent_posts_run_once(keys, settings):
    # given
    settings.API_RATE_LIMIT = 0  # this is about idempotency, not about the rate limit
    provider.latency = 0.5  # the first request holds the key while the others arrive

    def request(index: int) -> tuple[int, bytes]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}")
        response = post(client, "t01-key")
        return response.status_code, response.content

    # when
    results = run_concurrently(THREADS, request, at_once=connection_slots(THREADS))

    # then
    assert all(isinstance(result, tuple) for result in results), results
    created = [body for status, body in results if status == 201]
    in_use = [body for status, body in results if status == 409]
    assert len(created) + len(in_use) == THREADS
    assert created, "one request must have run"
    assert in_use, "the others must have collided with it"
    assert len(set(created)) == 1
    assert all(json.loads(body)["error"]["code"] == "idempotency_key_in_use" for body in in_use)
    assert Payment.objects.count() == 1
    assert provider.calls == 1
    retry = post(APIClient(HTTP_AUTHORIZATION=f"Bearer {keys['test_secret']}"), "t01-key")
    assert retry.status_code == 201
    assert retry.content == created[0]
    assert retry["Idempotent-Replayed"] == "true"
