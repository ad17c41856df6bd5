from datetime import UTC, datetime

import pytest
import time_machine

from gateway.crypto import KeyRing, generate_key_setting
from gateway.ids import has_prefix, id_floor, new_id
from gateway.money import CurrencyMismatch, Money, normalize_currency


def test_ids_are_prefixed_and_sort_by_time():
    earlier = new_id("pay", now_ms=1_700_000_000_000)
    later = new_id("pay", now_ms=1_700_000_000_001)

    assert earlier.startswith("pay_")
    assert len(earlier) == 30
    assert earlier < later
    assert has_prefix(earlier, "pay")
    assert not has_prefix(earlier, "re")
    assert len({new_id("evt") for _ in range(10_000)}) == 10_000


def test_unknown_prefix_is_refused():
    with pytest.raises(ValueError):
        new_id("payment")
    with pytest.raises(ValueError):
        id_floor("payment", datetime.now(UTC))


def test_the_id_floor_of_a_moment_parts_the_ids_made_before_it_from_those_after():
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    millis = int(moment.timestamp() * 1000)
    floor = id_floor("pay", moment)

    assert all(new_id("pay", now_ms=millis - 1) < floor for _ in range(1000))
    assert all(floor <= new_id("pay", now_ms=millis) for _ in range(1000))
    with time_machine.travel(moment, tick=False):
        assert floor <= new_id("pay")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("usd", "usd"),
        ("USD", "usd"),
        ("JpY", "jpy"),
        ("kwd", "kwd"),
        ("XXX", None),
        ("US", None),
        ("ÜSD", None),
        ("", None),
        ("usd\x00", None),
        (840, None),
        (None, None),
    ],
)
def test_currencies_are_iso_4217_case_insensitive(raw, expected):
    assert normalize_currency(raw) == expected


def test_money_stays_in_integer_minor_units():
    assert str(Money(1050, "EUR")) == "10.50 EUR"
    assert str(Money(1000, "jpy")) == "1000 JPY"
    assert str(Money(1, "kwd")) == "0.001 KWD"
    assert Money(100, "usd") + Money(50, "USD") == Money(150, "usd")
    with pytest.raises(CurrencyMismatch):
        Money(100, "usd") + Money(100, "eur")
    with pytest.raises(TypeError):
        Money(10.5, "usd")


def test_a_vault_key_id_named_twice_is_refused():
    entry = generate_key_setting("k1")

    with pytest.raises(ValueError, match="names the key id k1 twice"):
        KeyRing.from_setting(f"{entry},{generate_key_setting('k1')}")
