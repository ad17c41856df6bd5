"""Customers get a blind index of their e-mail, for the list's `email` filter; the
customers saved before have their sealed PII opened once, here."""

from django.db import migrations, models

from payments.vault import customer_pii, email_index


def fill_email_indexes(apps, schema_editor):
    Customer = apps.get_model("payments", "Customer")
    saved = Customer.objects.filter(email_index="").only("id", "merchant_id", "pii_ciphertext")
    batch = []
    for customer in saved.iterator(chunk_size=500):
        email = customer_pii(customer)["email"]
        customer.email_index = email_index(email, merchant_id=customer.merchant_id)
        batch.append(customer)
        if len(batch) == 500:
            Customer.objects.bulk_update(batch, ["email_index"])
            batch = []
    Customer.objects.bulk_update(batch, ["email_index"])


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_feerule"),
        ("payments", "0011_payment_method_detached_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="email_index",
            field=models.CharField(
                blank=True, help_text="keyed hash of the e-mail, for the email filter", max_length=32
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["merchant", "livemode", "email_index"], name="customer_email"
            ),
        ),
        migrations.RunPython(fill_email_indexes, migrations.RunPython.noop),
    ]
