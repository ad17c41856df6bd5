"""An endpoint remembers when it was last enabled, so the sweeper, dispatching an event
late, gives it none from while it was disabled. Endpoints saved before this take
their creation time, the rule until now."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def _enabled_since_creation(apps, schema_editor):
    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    endpoints.objects.update(enabled_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_retired_secrets"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="enabled_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="Created or last re-enabled: the endpoint gets only events from then on",
            ),
        ),
        migrations.RunPython(_enabled_since_creation, migrations.RunPython.noop),
    ]
