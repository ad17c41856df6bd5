"""The usual amount comes from the latest assessments instead of a running total.

Assessments get their payment's amount and currency as columns (filled in for the
existing rows from the signals they already keep), and AmountProfile goes: one row
per merchant and currency that every payment updated, so concurrent payments of a
merchant queued on its lock. The new index leads with the merchant, which makes the
foreign key's own index redundant.
"""

from django.db import migrations, models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast


def fill_amounts(apps, schema_editor):
    """One UPDATE, from the signals each assessment stored."""
    apps.get_model("fraud", "Assessment").objects.update(
        amount_minor=Cast(KT("inputs__signals__amount_minor"), models.BigIntegerField()),
        currency=KT("inputs__signals__currency"),
    )


class Migration(migrations.Migration):
    dependencies = [("fraud", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="amount_minor",
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="assessment",
            name="currency",
            field=models.CharField(default="", max_length=3),
            preserve_default=False,
        ),
        migrations.RunPython(fill_amounts, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                fields=["merchant", "livemode", "currency", "-id"], name="assessment_amounts"
            ),
        ),
        migrations.AlterField(  # assessment_amounts leads with it
            model_name="assessment",
            name="merchant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                to="merchants.merchant",
            ),
        ),
        migrations.DeleteModel(name="AmountProfile"),
    ]
