from django.db import migrations

from gateway.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [append_only("payments_ledgertransaction", "payments_ledgerentry")]
