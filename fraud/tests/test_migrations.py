"""Migration 0003 stores the IPv4 addresses blocklists kept written as IPv6 as IPv4."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fraud.models import BlocklistItem

BEFORE = [("fraud", "0002_usual_amount_from_assessments")]
AFTER = [("fraud", "0003_blocklist_ipv4_mapped_addresses")]


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_ipv4_addresses_kept_as_ipv6_are_stored_as_ipv4(merchant):
    # given: entries in the form the blocklist stored before (::ffff:c633:6407 is
    # 198.51.100.7), one of them listed as IPv4 as well
    _migrate(BEFORE)
    for value in ("::ffff:c633:6407", "::ffff:cb00:7109", "203.0.113.9", "2001:db8::1"):
        BlocklistItem.objects.create(
            merchant=merchant, livemode=False, type="ip_address", value=value
        )

    # when
    _migrate(AFTER)

    # then
    values = sorted(BlocklistItem.objects.values_list("value", flat=True))
    assert values == ["198.51.100.7", "2001:db8::1", "203.0.113.9"]
