"""Seal each payment's risk_context (the customer's e-mail, IP address, device) as the
vault's columns are, bound to its payment; the clear JSON column goes."""

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

    payments = apps.get_model("payments", "Payment").objects.exclude(risk_context=None)
    _rewrite(payments.only("id", "risk_context"), "risk_context_ciphertext", sealed)


def unseal(apps, schema_editor):
    def unsealed(payment) -> dict:
        return json.loads(crypto.unseal(payment.risk_context_ciphertext, aad=_aad(payment.id)))

    payments = apps.get_model("payments", "Payment").objects.exclude(risk_context_ciphertext=None)
    _rewrite(payments.only("id", "risk_context_ciphertext"), "risk_context", unsealed)


class Migration(migrations.Migration):
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
        migrations.RemoveField(model_name="payment", name="risk_context"),
    ]
