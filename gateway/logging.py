"""Log filters: the request id on every record, and redaction of card data and secrets;
the JSON console handler every process logs through (`json_console`).

Redaction runs on the fully formatted message (and the traceback text) of every
record, so a card number or key is masked even when some code logs it by mistake.
Values passed as `extra` (Django's `request`, whose repr holds the path and query
string) are attached after a record is created: the JSON formatter redacts its whole
output line too.
"""

import contextvars
import logging
import re
import secrets

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


# In a Celery task: the request it was sent from (gateway.celery carries it in the
# message). The task's log lines name it; its events do not, that request did not make them.
origin_request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "origin_request_id", default=None
)

# 13-19 digits, not inside a longer number, optionally split by one or two spaces,
# tabs, dashes, slashes or underscores, also as a URL writes them (`+`, `%20`, `%2D`,
# `%2B`, `%2F`, `%09`; digits as `%34`), or in groups of four split by dots. Text around
# it may touch it (`x-4242…`, `4242…-01`): `_mask_pan` then finds the card number
# among the first or the last groups of digits.
_PAN_SEPARATOR = r"(?:[ \t+_/-]|%2[0bBdDfF]|%09)"
_PAN_DIGIT = r"(?:\d|%3\d)"
_ENCODED_DIGIT = re.compile(r"%3(\d)")
_PAN_GAP = re.compile(rf"{_PAN_SEPARATOR}+|\.")
# Not the digits of a decimal fraction (a task's duration, 0.0393049842123074s).
_PAN_CANDIDATE = re.compile(
    rf"(?<![\d.]){_PAN_DIGIT}(?:{_PAN_SEPARATOR}{{0,2}}{_PAN_DIGIT}){{12,24}}(?!\d)"
    r"|(?<![\d.])\d{4}(?:\.\d{4}){3}(?![\d.])"
)
PAN_LENGTHS = range(13, 20)
# A key's first 10 characters after `sk_test_` are its lookup prefix, shown in the
# admin; a key is longer. A payment's client secret is `pay_…_secret_…`.
_SECRETS = re.compile(
    r"\b(?:sk|pk|rk)_(?:test|live)_[A-Za-z0-9]{11,}"
    r"|\bwhsec_[A-Za-z0-9+/=]+"
    r"|\b[a-z]+_[0-9a-z]{26}_secret_[A-Za-z0-9]+"
    r"|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+",
)
# `cvc=123`, `"cvc": "123"`, and form-encoded `card[cvc]=123` (as the stripe SDK posts it).
_CVC_FIELD = re.compile(
    r"""(["']?(?:cvc2?|cvv2?|security_code)(?:\]|%5D)?["']?\s*[:=]\s*["']?)\d{3,4}""",
    re.IGNORECASE,
)
# Secret fields in JSON, dict reprs or form bodies (OAuth tokens in a provider's answer).
_SECRET_FIELD = re.compile(
    r"""(["']?\b(?:access_token|refresh_token|id_token|client_secret|secret_key|webhook_secret"""
    r"""|password)["']?\s*[:=]\s*["']?)[^"'\s,&}]+""",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_stretches(groups: list[str]) -> list[tuple[int, int]]:
    """(first, last) of each stretch of consecutive digit groups holding a Luhn-valid
    13-19 digits: every such window, wherever it starts (text touching a card number,
    `4242…-01`, `303/4242…/3452`), overlapping windows merged into one stretch."""
    windows = [
        (first, last)
        for first in range(len(groups))
        for last in range(first, len(groups))
        if len(digits := "".join(groups[first : last + 1])) in PAN_LENGTHS and luhn_valid(digits)
    ]
    stretches: list[tuple[int, int]] = []
    for first, last in sorted(windows):
        if stretches and first <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(last, stretches[-1][1]))
        else:
            stretches.append((first, last))
    return stretches


def _mask_pan(match: re.Match) -> str:
    """Each stretch holding a card number, as its first 6 and last 4 digits."""
    text = match.group()
    runs, start = [], 0
    for gap in [*_PAN_GAP.finditer(text), None]:
        end = gap.start() if gap else len(text)
        runs.append((start, end, _ENCODED_DIGIT.sub(r"\1", text[start:end])))
        start = gap.end() if gap else end
    masked, shown_up_to = [], 0
    for first, last in _card_stretches([run[2] for run in runs]):
        digits = "".join(run[2] for run in runs[first : last + 1])
        masked += [
            text[shown_up_to : runs[first][0]],
            f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}",
        ]
        shown_up_to = runs[last][1]
    return "".join([*masked, text[shown_up_to:]])


def _mask_secret(match: re.Match) -> str:
    text = match.group()
    for scheme in ("Bearer ", "Basic "):
        if text.startswith(scheme):
            return scheme + "[REDACTED]"
    if "_secret_" in text:
        return text[: text.index("_secret_") + len("_secret_")] + "[REDACTED]"
    head = text[: text.index("_", 3) + 1] if text.startswith(("sk_", "pk_", "rk_")) else "whsec_"
    return head + "[REDACTED]"


def redact(text: str) -> str:
    """Mask card numbers (BIN and last four kept), CVC fields, API keys and secrets."""
    text = _SECRETS.sub(_mask_secret, text)
    text = _SECRET_FIELD.sub(r"\1[REDACTED]", text)
    text = _CVC_FIELD.sub(r"\1***", text)
    return _PAN_CANDIDATE.sub(_mask_pan, text)


def _shown(show, value) -> str:
    try:
        return show(value)
    except Exception:  # logging must never raise into the code that logs
        return "(cannot be shown)"


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format string, or cannot be shown
        message = f"{_shown(str, record.msg)} {_shown(repr, record.args)}"
    record.msg = redact(str(message))
    record.args = ()
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None


def install_redaction() -> None:
    """Redact every log record as it is created, whichever handler later sees it.

    A handler filter would protect only our own handlers; wrapping the record factory
    also covers third-party handlers, error reporters and pytest's log capture.
    """
    base_factory = logging.getLogRecordFactory()
    if getattr(base_factory, "redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base_factory(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacting = True
    logging.setLogRecordFactory(factory)


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, with every line it writes redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or origin_request_id_var.get()
        return True


def json_console() -> dict:
    """The `filters`, `formatters` and `handlers` of a logging dictConfig that writes
    JSON lines, redacted, with the request id: Django's LOGGING and gunicorn's master
    (gunicorn.conf.py), which logs before any worker loads Django, both use it."""
    return {
        "filters": {"request_id": {"()": "gateway.logging.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "gateway.logging.RedactingJsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
    }
