"""Opaque, prefixed, time-sortable object ids (`pay_01jd…`).

An id is the prefix, an underscore and 26 characters of lower-case Crockford base32
encoding 48 bits of milliseconds since the epoch followed by 80 random bits (the
ULID layout). The alphabet is in ASCII order, so ids sort by creation time as
strings, which is what cursor pagination relies on; within one process they are
strictly increasing (ULID's monotonic variant).
"""

import functools
import secrets
import threading
import time
from datetime import datetime

from django.db import models

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
BODY_LENGTH = 26
PREFIXES = frozenset(
    {
        "mer",
        "cus",
        "pm",
        "pay",
        "re",
        "evt",
        "we",
        "prod",
        "price",
        "sub",
        "in",
        "dp",
        "po",
        "txn",
        "pa",
        "req",
        "op",
        "iar",
        "rr",
        "prv",
        "bli",
    }
)


def _encode(value: int) -> str:
    chars = []
    for _ in range(BODY_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


_RANDOM_BITS = 80
_last_value = 0
_lock = threading.Lock()


def _next_value(millis: int) -> int:
    """Time in the high bits, randomness below; strictly increasing within a process,
    so objects created in the same millisecond still sort in creation order."""
    global _last_value
    with _lock:
        value = (millis << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS - 1)
        if value <= _last_value:
            value = _last_value + 1 + secrets.randbits(16)
        _last_value = value
        return value


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """A fresh id with the given prefix, sortable by creation time."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    if now_ms is not None:
        return f"{prefix}_{_encode((now_ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS))}"
    return f"{prefix}_{_encode(_next_value(time.time_ns() // 1_000_000))}"


def id_floor(prefix: str, at: datetime) -> str:
    """The smallest id of this kind that an object created at or after `at` can have,
    so that a range of ids, served by the primary key's index, narrows a range of
    creation times without an index of its own. Ids never sort before their time; they
    may sort after it (a clock stepping back meets the monotonic guard of _next_value),
    so the range is a superset: filter on the time too for an exact one."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    millis = int(at.timestamp() * 1000)
    return f"{prefix}_{_encode(millis << _RANDOM_BITS)}"


def has_prefix(value: object, prefix: str) -> bool:
    """True when `value` looks like an id of this kind (shape only, no lookup)."""
    if not isinstance(value, str) or not value.startswith(prefix + "_"):
        return False
    body = value[len(prefix) + 1 :]
    return len(body) == BODY_LENGTH and all(c in ALPHABET for c in body)


class PrefixedIdField(models.CharField):
    """Primary key holding a prefixed id, assigned when the instance is built."""

    def __init__(self, *args, prefix: str, **kwargs):
        if prefix not in PREFIXES:
            raise ValueError(f"unknown id prefix {prefix!r}")
        self.prefix = prefix
        kwargs.setdefault("max_length", len(prefix) + 1 + BODY_LENGTH)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        kwargs["default"] = functools.partial(new_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        kwargs.pop("default", None)
        return name, path, args, kwargs
