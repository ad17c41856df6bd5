"""Only reads inside reports_reading() go to the reports database, and only when one is
configured (the test settings configure it as a second connection to the test database)."""

import threading

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from gateway.routers import REPORTS, ReportsRouter, reports_reading
from merchants.models import Merchant

router = ReportsRouter()


def test_reads_go_to_the_reports_database_inside_the_block_only():
    assert router.db_for_read(Merchant) is None
    with reports_reading():
        assert router.db_for_read(Merchant) == REPORTS
        assert router.db_for_write(Merchant) is None
    assert router.db_for_read(Merchant) is None


def test_without_a_reports_database_reads_stay_on_the_primary(monkeypatch):
    monkeypatch.delitem(connections.settings, REPORTS)

    with reports_reading():
        assert router.db_for_read(Merchant) is None


def test_another_thread_is_not_routed_by_this_ones_block():
    seen = []
    with reports_reading():
        reader = threading.Thread(target=lambda: seen.append(router.db_for_read(Merchant)))
        reader.start()
        reader.join()
    assert seen == [None]


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "payments") is True
    assert router.allow_migrate(REPORTS, "payments") is False


@pytest.mark.django_db(transaction=True, databases=["default", REPORTS])
def test_a_query_in_the_block_runs_on_the_reports_connection(merchant):
    with reports_reading(), CaptureQueriesContext(connections[REPORTS]) as reports:
        assert Merchant.objects.get(pk=merchant.pk).name == merchant.name
    assert len(reports.captured_queries) == 1
