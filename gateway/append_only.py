"""Database triggers that make tables append-only (PostgreSQL).

Used by migrations for the ledger and the audit log: any UPDATE or DELETE raises,
whoever issues it. TRUNCATE (test teardown, deliberate maintenance) is not a row
operation and stays possible. SQLite, the embedded default, has no equivalent that
would still let the test runner flush tables, so there the rule rests on the code.
"""

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION gateway_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table %% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END;
$$ LANGUAGE plpgsql;
"""


def append_only(*tables: str) -> migrations.RunPython:
    """A migration operation installing the append-only trigger on `tables`."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_FUNCTION)  # "%%": the driver turns it into plpgsql's "%"
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION gateway_refuse_change()"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")

    return migrations.RunPython(forwards, backwards)
