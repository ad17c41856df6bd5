"""Each charge keeps its authorization request's key and answer, which were a
SimulatedRequest row of their own: moved onto the charge, then made required."""

from django.db import migrations, models

BATCH = 1000
RESULTS = {"authorized": "succeeded", "captured": "succeeded", "voided": "succeeded",
           "authenticating": "requires_action"}  # fmt: skip


def move_authorizations(apps, schema_editor):
    SimulatedCharge = apps.get_model("simulator", "SimulatedCharge")
    SimulatedRequest = apps.get_model("simulator", "SimulatedRequest")
    authorizations = SimulatedRequest.objects.filter(operation="authorize")
    while batch := list(authorizations[:BATCH]):
        by_reference = {request.response["reference"]: request for request in batch}
        charges = list(SimulatedCharge.objects.filter(reference__in=by_reference))
        for charge in charges:
            request = by_reference[charge.reference]
            charge.idempotency_key, charge.answer = request.idempotency_key, request.response
        SimulatedCharge.objects.bulk_update(charges, ["idempotency_key", "answer"])
        SimulatedRequest.objects.filter(pk__in=[request.pk for request in batch]).delete()
    # A charge whose request is missing (written by hand, say) cannot be looked up by
    # its key anyway: a placeholder key, and the answer its state implies.
    for charge in SimulatedCharge.objects.filter(idempotency_key=None).iterator():
        charge.idempotency_key = f"unmatched-{charge.reference}"
        charge.answer = {
            "result": RESULTS.get(charge.status)
            or ("failed" if charge.decline_code == "processing_error" else "declined"),
            "reference": charge.reference,
            "status": charge.status,
            "decline_code": charge.decline_code,
            "message": "",
        }
        charge.save(update_fields=["idempotency_key", "answer"])


def move_back(apps, schema_editor):
    SimulatedCharge = apps.get_model("simulator", "SimulatedCharge")
    SimulatedRequest = apps.get_model("simulator", "SimulatedRequest")
    charges = SimulatedCharge.objects.exclude(idempotency_key=None)
    SimulatedRequest.objects.bulk_create(
        (
            SimulatedRequest(
                idempotency_key=charge.idempotency_key,
                operation="authorize",
                response=charge.answer,
                created_at=charge.created_at,
            )
            for charge in charges.iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("simulator", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="simulatedcharge",
            name="idempotency_key",
            field=models.CharField(max_length=100, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="simulatedcharge",
            name="answer",
            field=models.JSONField(
                help_text="what the authorization request was answered", null=True
            ),
        ),
        migrations.RunPython(move_authorizations, move_back),
        migrations.AlterField(
            model_name="simulatedcharge",
            name="idempotency_key",
            field=models.CharField(max_length=100, unique=True),
        ),
        migrations.AlterField(
            model_name="simulatedcharge",
            name="answer",
            field=models.JSONField(help_text="what the authorization request was answered"),
        ),
    ]
