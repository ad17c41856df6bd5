"""Payment methods keep their BIN in clear (as they keep the last four), so screening
reads it without opening the vault; the cards saved before are opened once, here."""

from django.db import migrations, models

from gateway import crypto


def fill_card_bins(apps, schema_editor):
    PaymentMethod = apps.get_model("payments", "PaymentMethod")
    saved = PaymentMethod.objects.filter(card_bin="").only("id", "card_ciphertext")
    batch = []
    for payment_method in saved.iterator(chunk_size=500):
        number = crypto.unseal(
            bytes(payment_method.card_ciphertext), aad=payment_method.id.encode()
        )
        payment_method.card_bin = number[:6].decode()
        batch.append(payment_method)
        if len(batch) == 500:
            PaymentMethod.objects.bulk_update(batch, ["card_bin"])
            batch = []
    PaymentMethod.objects.bulk_update(batch, ["card_bin"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_merchant_indexes_in_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentmethod",
            name="card_bin",
            field=models.CharField(
                blank=True,
                help_text="first six digits, for screening (never exposed)",
                max_length=6,
            ),
        ),
        migrations.RunPython(fill_card_bins, migrations.RunPython.noop),
    ]
