"""Drop the `varchar_pattern_ops` twin indexes Django's PostgreSQL backend added to
every indexed text column; `gateway.postgresql` no longer creates them (see there).

Runs after every app's tables exist, so it finds all of them.
"""

from django.db import migrations

_FIND = """
SELECT indexname FROM pg_indexes
WHERE schemaname = current_schema() AND indexname LIKE '%%\\_like'
  AND (indexdef LIKE '%%varchar_pattern_ops%%' OR indexdef LIKE '%%text_pattern_ops%%')
"""


def drop_twins(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FIND)
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0004_idempotency_fingerprint_help"),
        ("merchants", "0003_feerule"),
        ("payments", "0005_fraud_screening_and_3ds"),
        ("fraud", "0002_usual_amount_from_assessments"),
        ("simulator", "0001_initial"),
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(drop_twins, migrations.RunPython.noop)]
