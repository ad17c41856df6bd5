"""IPv4 addresses written as IPv6 (`::ffff:198.51.100.7`), which blocklists stored in
that form until screening learnt to compare them as IPv4: stored as IPv4 now too."""

import ipaddress

from django.db import migrations


def _as_ipv4(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped) if mapped is not None else None


def forwards(apps, schema_editor):
    BlocklistItem = apps.get_model("fraud", "BlocklistItem")
    for item in BlocklistItem.objects.filter(type="ip_address", value__contains=":"):
        ipv4 = _as_ipv4(item.value)
        if ipv4 is None:
            continue
        twin = BlocklistItem.objects.filter(
            merchant_id=item.merchant_id, livemode=item.livemode, type=item.type, value=ipv4
        )
        if twin.exists():
            item.delete()  # the address is listed already, as IPv4
        else:
            item.value = ipv4
            item.save(update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [("fraud", "0002_usual_amount_from_assessments")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
