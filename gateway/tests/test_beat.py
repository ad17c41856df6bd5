"""Beat's schedule: the settings seed it, the admin's edits survive a restart."""

from datetime import timedelta

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu.utils.imports import symbol_by_name

from gateway.celery import app as celery_app

# the scheduler closes connections as beat does
pytestmark = pytest.mark.django_db(transaction=True)


def _start_beat() -> None:
    """What beat does with its schedule when it starts (and, at exit, syncs it)."""
    scheduler = symbol_by_name(celery_app.conf.beat_scheduler)(app=celery_app)
    scheduler._finalize()  # its at-exit sync, run now while the test database exists


def test_a_schedule_edited_in_the_admin_survives_a_restart_of_beat():
    # given: beat seeded the schedule, then staff slowed one job and disabled another
    _start_beat()
    every_two_hours, _ = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.HOURS
    )
    PeriodicTask.objects.filter(name="expire-authorizations").update(interval=every_two_hours)
    PeriodicTask.objects.filter(name="fraud-counters-purge").update(enabled=False)
    PeriodicTask.objects.filter(name="webhooks-sweep").delete()

    # when
    _start_beat()

    # then: the edits stand, and what was missing is seeded again
    edited = PeriodicTask.objects.get(name="expire-authorizations")
    assert edited.interval.schedule.run_every == timedelta(hours=2)
    assert not PeriodicTask.objects.get(name="fraud-counters-purge").enabled
    assert PeriodicTask.objects.get(name="webhooks-sweep").interval.schedule.run_every == (
        timedelta(minutes=1)
    )
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(
        PeriodicTask.objects.values_list("name", flat=True)
    )
