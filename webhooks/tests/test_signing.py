"""T05: Standard Webhooks signatures, checked against the specification's test vector
and against an independent implementation (the `standardwebhooks` package)."""

import base64
import time

import pytest
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from webhooks import signing

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _vector_headers(**overrides) -> dict:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    headers.update(overrides)
    return {name: value for name, value in headers.items() if value is not None}


def _verify(headers: dict, body: bytes = VECTOR_BODY, secret: str = VECTOR_SECRET) -> None:
    signing.verify(secret, headers=headers, body=body, now=VECTOR_TIMESTAMP)


def test_signer_reproduces_the_standard_webhooks_vector():
    assert (
        signing.sign(VECTOR_SECRET, msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY)
        == VECTOR_SIGNATURE
    )


def test_verifier_accepts_the_vector_with_the_clock_at_its_timestamp():
    _verify(_vector_headers())


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_verifier_rejects_a_missing_header(missing):
    with pytest.raises(signing.SignatureError):
        _verify(_vector_headers(**{missing: None}))


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-timestamp": "16142653a0"},
        {"webhook-timestamp": str(VECTOR_TIMESTAMP + 301)},
        {"webhook-timestamp": str(VECTOR_TIMESTAMP - 301)},
        {"webhook-signature": VECTOR_SIGNATURE.replace("v1,", "v2,")},
        {"webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl"},
        {"webhook-id": VECTOR_ID + "x"},
    ],
)
def test_verifier_rejects_tampered_headers(change):
    with pytest.raises(signing.SignatureError):
        _verify(_vector_headers(**change))


def test_verifier_rejects_a_one_byte_body_change_and_a_wrong_secret():
    with pytest.raises(signing.SignatureError):
        _verify(_vector_headers(), body=VECTOR_BODY.replace(b"4}", b"5}"))
    with pytest.raises(signing.SignatureError):
        _verify(_vector_headers(), secret=signing.secret_generate())


def test_verifier_accepts_a_list_where_one_signature_is_valid():
    other = signing.sign(
        signing.secret_generate(), msg_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY
    )
    _verify(_vector_headers(**{"webhook-signature": f"v2,abc {other} {VECTOR_SIGNATURE}"}))


def test_verifier_compares_in_constant_time(monkeypatch):
    calls = []
    original = signing.hmac.compare_digest
    monkeypatch.setattr(
        signing.hmac, "compare_digest", lambda a, b: calls.append(1) or original(a, b)
    )

    _verify(_vector_headers())

    assert calls


def test_generated_secrets_are_whsec_and_at_least_24_random_bytes():
    secret = signing.secret_generate()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert signing.secret_generate() != secret


def test_the_independent_library_verifies_our_signature():
    secret = signing.secret_generate()
    body = b'{"id":"evt_1","type":"payment.captured"}'
    timestamp = int(time.time())
    headers = signing.headers([secret], msg_id="evt_1", timestamp=timestamp, body=body)

    assert Webhook(secret).verify(body, headers) == {"id": "evt_1", "type": "payment.captured"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"captured", b"refunded"), headers)
    old = signing.headers([secret], msg_id="evt_1", timestamp=timestamp - 400, body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, old)


def test_the_independent_library_accepts_the_vector():
    with time_machine.travel(VECTOR_TIMESTAMP, tick=False):
        Webhook(VECTOR_SECRET).verify(VECTOR_BODY, _vector_headers())
