"""Helpers for the vault tests: request bodies, PAN generation and raw-data scans."""

import json
import random
import re
from collections.abc import Iterator

from django.apps import apps
from django.core.cache import cache
from django.db import connection

from gateway.logging import luhn_valid
from payments.tests.factories import future_year

# 13-19 digits, optionally split by single spaces or dashes, standing alone (not part of
# a longer number, an id or a hex digest).
PAN_LIKE = re.compile(r"(?<![0-9A-Za-z_-])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z_-])")


def card_body(number: str = "4242424242424242", **card) -> dict:
    """A valid POST /v1/payment_methods body for `number`."""
    return {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": future_year(), **card},
    }


def with_check_digit(partial: str) -> str:
    """`partial` followed by the digit that makes it pass Luhn."""
    return next(partial + d for d in "0123456789" if luhn_valid(partial + d))


def random_pan(prefix: str = "4", length: int = 16) -> str:
    """A Luhn-valid number nobody else uses in the test run."""
    body = "".join(random.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return with_check_digit(prefix + body)


def _as_text(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def database_cells() -> Iterator[tuple[str, str, str]]:
    """(table, column, raw value as text) for every cell of every table of every model,
    read with plain SQL (bytes as latin-1, so every byte is one character)."""
    tables = set(connection.introspection.table_names())
    seen = set()
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in seen or table not in tables:
            continue
        seen.add(table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield table, column, _as_text(value)


def cache_values() -> list[str]:
    """Every key and string value in the Redis cache, when the cache is Redis."""
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return []
    client = backend.get_client()
    found = []
    for key in client.scan_iter():
        found.append(_as_text(key))
        if client.type(key) == b"string":
            found.append(_as_text(client.get(key)))
    return found


def log_text(caplog) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def luhn_valid_numbers(text: str) -> list[str]:
    """Card-number-like strings in `text` that pass Luhn."""
    found = (re.sub(r"\D", "", match) for match in PAN_LIKE.findall(text))
    return [digits for digits in found if luhn_valid(digits)]


def standalone(marker: str) -> re.Pattern:
    """`marker` not inside a longer run of letters or digits."""
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(marker)}(?![0-9A-Za-z])")


def longest_pan_run(text: str, pan: str) -> int:
    """The length of the longest run of consecutive digits of `pan` found in `text`."""
    digits_only = re.sub(r"(?<=\d)[ -](?=\d)", "", text)
    for length in range(len(pan), 0, -1):
        if any(pan[i : i + length] in digits_only for i in range(len(pan) - length + 1)):
            return length
    return 0
