import http.client
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.logging import RedactingJsonFormatter, luhn_valid, redact, request_id_var
from gateway.tests.conftest import gunicorn_serving

logger = logging.getLogger("gateway.tests")


@pytest.mark.parametrize(
    "text, hidden, shown",
    [
        ("card 4242424242424242 ok", "4242424242424242", "424242******4242"),
        ("card 4242 4242 4242 4242", "4242 4242 4242 4242", "424242******4242"),
        ("card 4242-4242-4242-4242", "4242-4242-4242-4242", "424242******4242"),
        ("?number=4000+0566+5566+5556&x", "4000+0566+5566+5556", "400005******5556"),
        ("?number=4000%200566%205566%205556", "4000%200566%205566%205556", "400005******5556"),
        ("?number=4000%2D0566%2d5566%2D5556", "4000%2D0566%2d5566%2D5556", "400005******5556"),
        ("/v1/payments/%34242424242424242", "%34242424242424242", "424242******4242"),
        ("?x=%34%32%34%32424242424242", "%34%32%34%32424242424242", "424242******4242"),
        ("card 4242.4242.4242.4242 ok", "4242.4242.4242.4242", "424242******4242"),
        ("amex 378282246310005.", "378282246310005", "378282*****0005"),
        ("x-4242424242424242", "4242424242424242", "x-424242******4242"),
        ("?customer=4242424242424242-01", "4242424242424242", "=424242******4242-01"),
        ("4242  4242  4242  4242", "4242  4242", "424242******4242"),
        ("4242/4242/4242/4242", "4242/4242", "424242******4242"),
        ("4242_4242_4242_4242", "4242_4242", "424242******4242"),
        ("4242\t4242\t4242\t4242", "4242\t4242", "424242******4242"),
        ("?q=4242%2F4242%2F4242%2F4242", "4242%2F4242", "424242******4242"),
        ("4242 4242 4242 4242 12 2030", "4242 4242 4242", "424242******4242 12 2030"),
        ("/v1/orders/303/4242424242424242/3452", "4242424242424242", "/303/424242******4242/"),
        ("ref_12_4242424242424242_99", "4242424242424242", "ref_12_424242******4242_99"),
        ("qty 1 4242 4242 4242 4242 12/30", "4242 4242", "qty 1 424242*"),
        ("pay_01jd8x2k3m4n5p6q7r8s9t0v1w_secret_abcDEF123", "abcDEF123", "_secret_[REDACTED]"),
        ("key sk_test_abcDEF1234567890abcdEF1234567890", "abcDEF1234567890", "sk_test_[REDACTED]"),
        ("key sk_live_abcDEF1234567890abcdEF1234567890", "abcDEF1234567890", "sk_live_[REDACTED]"),
        ("pk_test_abcDEF1234567890abcdEF1234567890", "abcDEF1234567890", "pk_test_[REDACTED]"),
        ("rk_live_abcDEF1234567890", "abcDEF1234567890", "rk_live_[REDACTED]"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKY", "whsec_[REDACTED]"),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi", "Bearer [REDACTED]"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Basic [REDACTED]"),
        ('{"cvc": "123"}', '"123"', '"cvc": "***'),
        ("cvv=4321&x=1", "4321", "cvv=***"),
        ('{"security_code": "987"}', '"987"', '"security_code": "***'),
    ],
)
def test_redact_masks_card_numbers_and_secrets(text, hidden, shown):
    redacted = redact(text)

    assert hidden not in redacted
    assert shown in redacted


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123",
        "ts 1614265330",
        "pay_01jd8x",
        "succeeded in 0.4242424242424242s",  # a task's duration, not a card
        "took 4242.4242424242s",
        "version 4242.4242.4242.4242.1",
        "ids 1614265330 1614265331",
        "lookup prefix sk_test_PqFH6R1iaA",  # shown in the admin; a key is longer
    ],
)
def test_redact_keeps_numbers_that_are_not_card_numbers(text):
    assert redact(text) == text


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")

    __repr__ = __str__


@pytest.mark.parametrize(
    ("message", "args", "shown"),
    [
        ("%(missing)s", ({"other": 1},), "%(missing)s"),
        ("%s", (Unprintable(),), "%s (cannot be shown)"),
        (Unprintable(), (), "(cannot be shown)"),
    ],
    ids=["missing-key", "unprintable-argument", "unprintable-message"],
)
def test_a_record_that_cannot_be_formatted_never_raises_into_the_caller(
    caplog, message, args, shown
):
    caplog.set_level(logging.INFO)

    logger.info(message, *args)  # must not raise

    assert caplog.records[-1].getMessage().startswith(shown)


def test_every_log_record_is_redacted_whatever_the_handler(caplog):
    caplog.set_level(logging.DEBUG)

    logger.debug("charging %s with cvc=%s", "4000000000000002", "987")
    try:
        raise ValueError("bad key sk_live_abcDEF1234567890abcdEF1234567890")
    except ValueError:
        logger.exception("failed")

    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "4000000000000002" not in text
    assert "987" not in text
    assert "abcDEF1234567890" not in text
    assert "400000******0002" in text


def test_the_extras_of_a_record_are_redacted_in_the_json_line(rf):
    """Django logs 4xx responses with the request as an extra: its repr holds the path
    and query string, attached after the record factory has redacted the message."""
    console = next(h for h in logging.getLogger().handlers if h.name == "console")
    formatter = console.formatter
    request = rf.get("/v1/nothing/4000056655665556?k=sk_test_fl6W5Cy3abc")
    record = logging.getLogger("django.request").makeRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None,
        extra={"status_code": 404, "request": request},
    )  # fmt: skip

    line = json.loads(formatter.format(record))

    assert (
        line["request"] == "<WSGIRequest: GET '/v1/nothing/400005******5556?k=sk_test_[REDACTED]'>"
    )
    assert line["message"] == "Not Found: /v1/nothing/400005******5556"


@st.composite
def valid_pans(draw):
    body = draw(st.text(alphabet="0123456789", min_size=12, max_size=18))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("one check digit always fits")


@given(valid_pans())
def test_no_valid_pan_survives_redaction(pan):
    redacted = redact(f"x {pan} y")

    assert pan not in redacted
    assert pan[-4:] in redacted


@pytest.mark.parametrize("name", ["gunicorn.access", "gunicorn.error"])
def test_gunicorns_lines_are_json_redacted_and_carry_the_request_id(name):
    """gunicorn writes its access line after the response, in the request's thread,
    where the request id is still set (RequestIdMiddleware)."""
    handlers = logging.getLogger(name).handlers
    (handler,) = [h for h in handlers if isinstance(h.formatter, RedactingJsonFormatter)]
    token = request_id_var.set("req_access")
    try:
        record = logging.LogRecord(
            name, logging.INFO, "", 0, '"GET /?n=%s"', ("4242+4242+4242+4242",), None
        )
        for log_filter in handler.filters:
            log_filter.filter(record)
        line = json.loads(handler.formatter.format(record))
    finally:
        request_id_var.reset(token)

    assert line["message"] == '"GET /?n=424242******4242"'
    assert line["request_id"] == "req_access"


@pytest.mark.django_db(transaction=True)  # the server's workers reach the test database
def test_gunicorns_master_logs_json_lines_too(tmp_path):
    """The master logs before any worker loads Django: gunicorn.conf.py configures it."""

    def master_lines(level: str) -> list[dict]:
        log = tmp_path / f"gunicorn-{level}.log"
        with log.open("wb") as stderr, gunicorn_serving(stderr=stderr, LOG_LEVEL=level):
            pass
        return [json.loads(line) for line in log.read_text().splitlines()]

    lines = master_lines("INFO")
    messages = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert any(message.startswith("Listening at") for message in messages), lines
    assert any(message.startswith("Booting worker") for message in messages), lines
    assert not any("ontrol" in line["message"] for line in lines)  # no control socket
    # LOG_LEVEL reaches the master too
    assert [line for line in master_lines("WARNING") if line["level"] == "INFO"] == []


def test_djangos_own_console_handler_is_gone_so_no_line_is_printed_twice():
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate is True


@pytest.mark.django_db(transaction=True)  # the server's workers reach the test database
def test_gunicorns_line_before_a_request_carries_no_earlier_requests_id(tmp_path):
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as stderr, gunicorn_serving(stderr=stderr, LOG_LEVEL="DEBUG") as address:
        ids = []
        for _ in range(2):
            connection = http.client.HTTPConnection(*address, timeout=10)
            connection.request("GET", "/healthz")
            ids.append(connection.getresponse().getheader("Request-Id"))
            connection.close()

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    before = [line for line in lines if line["message"] == "GET /healthz"]
    assert len(before) == 2
    assert not {line["request_id"] for line in before} & set(ids)
