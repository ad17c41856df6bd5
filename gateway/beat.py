"""Celery beat's scheduler: `CELERY_BEAT_SCHEDULE` seeds the admin-editable schedule."""

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


class SeedingDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, writing only the entries its tables lack.

    Its own rewrites every `CELERY_BEAT_SCHEDULE` entry each time beat starts, so an
    interval changed or a job disabled in the admin came back at the next restart. Here
    the settings give each job its first schedule and the admin has the last word; a
    job deleted in the admin is seeded again (disable it to stop it).
    """

    def update_from_dict(self, mapping: dict) -> None:
        stored = set(PeriodicTask.objects.filter(name__in=mapping).values_list("name", flat=True))
        super().update_from_dict(
            {name: entry for name, entry in mapping.items() if name not in stored}
        )
