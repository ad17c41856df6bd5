"""Sliding-window counters: the database backend always, Redis when REDIS_URL is set.
Both count distinct members per key inside the window, after recording."""

import pytest
from django.conf import settings

from fraud.counters import DatabaseCounters, Event, RedisCounters, Window, counters
from fraud.models import CounterEvent

pytestmark = pytest.mark.django_db

NOW = 1_900_000_000.0


def _backends():
    yield pytest.param(DatabaseCounters, id="database")
    yield pytest.param(
        "redis",
        id="redis",
        marks=pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL"),
    )


@pytest.fixture(params=list(_backends()))
def backend(request):
    if request.param == "redis":
        return RedisCounters(settings.REDIS_URL)
    return request.param()


def test_counts_include_what_was_just_recorded(backend):
    counts = backend.observe(
        now=NOW, record=[Event("k:a", "pay_1", 600)], count=[Window("k:a", 600)]
    )

    assert counts == [1]


def test_members_count_once_and_windows_slide(backend):
    for offset, member in [(0, "card_1"), (10, "card_2"), (20, "card_1"), (700, "card_3")]:
        backend.observe(now=NOW + offset, record=[Event("k:dev", member, 86400)], count=[])

    # at NOW+700: three cards within a day (card_1 once), only card_3 within 10 minutes
    day, ten_minutes = backend.observe(
        now=NOW + 700, record=[], count=[Window("k:dev", 86400), Window("k:dev", 600)]
    )

    assert day == 3
    assert ten_minutes == 1


def test_keys_are_independent(backend):
    backend.observe(
        now=NOW, record=[Event("k:x", "pay_1", 60), Event("k:y", "pay_1", 60)], count=[]
    )

    assert backend.observe(
        now=NOW + 1,
        record=[Event("k:x", "pay_2", 60)],
        count=[Window("k:x", 60), Window("k:y", 60), Window("k:z", 60)],
    ) == [2, 1, 0]


def test_events_older_than_the_window_do_not_count(backend):
    backend.observe(now=NOW, record=[Event("k:old", "pay_1", 60)], count=[])

    assert backend.observe(now=NOW + 61, record=[], count=[Window("k:old", 60)]) == [0]


def test_the_database_purge_keeps_a_day(db):
    from datetime import UTC, datetime, timedelta

    now = datetime.fromtimestamp(NOW, tz=UTC)
    DatabaseCounters().observe(now=NOW - 86401, record=[Event("k", "old", 60)], count=[])
    DatabaseCounters().observe(now=NOW - 60, record=[Event("k", "new", 60)], count=[])

    assert DatabaseCounters.purge(now=now) == 1
    assert list(CounterEvent.objects.values_list("member", flat=True)) == ["new"]
    assert now - timedelta(days=1) < CounterEvent.objects.get().at


def test_the_backend_follows_the_configuration(settings):
    settings.REDIS_URL = ""
    assert isinstance(counters(), DatabaseCounters)
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    assert isinstance(counters(), RedisCounters)
