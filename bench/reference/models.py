from django.db import models


class Insert(models.Model):
    """One row per request of the reference endpoint."""

    merchant_id = models.CharField(max_length=40)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "reference"

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.amount_minor}"
