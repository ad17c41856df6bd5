"""Reports read from a PostgreSQL read replica when one is configured (SPEC §1).

`REPORTS_DATABASE_URL` adds the `reports` database. Only reads made inside
`reports_reading()` go there: a dashboard's aggregates can lag the primary by the
replica's delay, but the money path, which reads what it has just written and locks
rows, never leaves the primary. Without a replica everything reads from `default`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPORTS = "reports"

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def reports_reading() -> Iterator[None]:
    """Route the reads of this block to the reports database, if there is one."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


class ReportsRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if _reading_reports.get() and REPORTS in connections.settings:
            return REPORTS
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        """A replica copies the primary's schema; migrations run on the primary only."""
        return db != REPORTS
