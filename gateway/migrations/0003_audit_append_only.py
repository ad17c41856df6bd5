from django.db import migrations

from gateway.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("gateway", "0002_event_idempotencykey")]

    operations = [append_only("gateway_auditlog")]
