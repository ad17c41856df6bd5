"""Secrets rotated away get rows of their own, so that each keeps signing for its 24
hours however many rotations follow (the endpoint had room for one). A previous secret
still signing moves to a row, sealed as it is."""

import django.db.models.deletion
from django.db import migrations, models


def _move_previous_secrets(apps, schema_editor):
    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    retired = apps.get_model("webhooks", "RetiredSecret")
    still_signing = endpoints.objects.filter(
        previous_secret_ciphertext__isnull=False, previous_secret_expires_at__isnull=False
    )
    retired.objects.bulk_create(
        retired(
            endpoint_id=endpoint.pk,
            secret_ciphertext=endpoint.previous_secret_ciphertext,
            expires_at=endpoint.previous_secret_expires_at,
        )
        for endpoint in still_signing.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RetiredSecret",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("secret_ciphertext", models.BinaryField()),
                ("expires_at", models.DateTimeField()),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="retired_secrets",
                        to="webhooks.webhookendpoint",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["endpoint", "expires_at"], name="retired_secret_live")
                ],
            },
        ),
        migrations.RunPython(_move_previous_secrets, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="webhookendpoint",
            name="previous_secret_ciphertext",
        ),
        migrations.RemoveField(
            model_name="webhookendpoint",
            name="previous_secret_expires_at",
        ),
    ]
