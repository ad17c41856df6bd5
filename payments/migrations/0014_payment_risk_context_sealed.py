"""Seal each payment's risk_context (the customer's e-mail, IP address, device) as the
vault's columns are, bound to its payment, and empty the clear JSON column.

Not atomic: adding the column commits at once, and the rows are sealed 500 to an
UPDATE, so payments are not held up while it runs. The clear column leaves the models
here but stays in the database, empty, so that processes of the release before,
still running during a rolling deploy, can write it; a later release drops it."""

import json

from django.db import migrations, models

from gateway import crypto


def _aad(payment_id: str) -> bytes:
    return f"payment:{payment_id}:risk_context".encode()


def _rewrite(queryset, field: str, value_of) -> None:
    """Set `field` on every row from `value_of(row)`, 500 rows to an UPDATE."""
    batch = []
    for row in queryset.iterator(chunk_size=500):
        setattr(row, field, value_of(row))
        batch.append(row)
        if len(batch) == 500:
            queryset.model.objects.bulk_update(batch, [field])
            batch = []
    queryset.model.objects.bulk_update(batch, [field])


def seal(apps, schema_editor):
    def sealed(payment) -> bytes:
        return crypto.seal(json.dumps(payment.risk_context).encode(), aad=_aad(payment.id))

    # isnull: `risk_context=None` would mean JSON null, not an empty column
    payments = apps.get_model("payments", "Payment").objects.filter(risk_context__isnull=False)
    _rewrite(payments.only("id", "risk_context"), "risk_context_ciphertext", sealed)
    payments.filter(risk_context_ciphertext__isnull=False).update(risk_context=None)


def unseal(apps, schema_editor):
    def unsealed(payment) -> dict:
        return json.loads(crypto.unseal(payment.risk_context_ciphertext, aad=_aad(payment.id)))

    payments = apps.get_model("payments", "Payment").objects.filter(
        risk_context_ciphertext__isnull=False
    )
    _rewrite(payments.only("id", "risk_context_ciphertext"), "risk_context", unsealed)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("payments", "0013_one_payment_and_refund_per_idempotency_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="risk_context_ciphertext",
            field=models.BinaryField(
                blank=True,
                help_text="what the merchant told fraud screening (risk_context), sealed",
                null=True,
            ),
        ),
        migrations.RunPython(seal, unseal),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="payment", name="risk_context")]
        ),
    ]
