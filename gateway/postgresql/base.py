"""Django's PostgreSQL backend without the `varchar_pattern_ops` twin indexes.

For every indexed or unique text column (every prefixed id, every foreign key to
one) Django adds a second index that only serves `LIKE 'abc%'` outside the C locale.
Nothing here filters ids by pattern, and each twin costs every insert and every
non-HOT update one more index entry: a payment wrote about a third more index
entries than it needed. Migration `gateway.0005` drops the twins of existing databases.
"""

from django.db.backends.postgresql import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model, field):
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
