"""`manage.py ledger_check`: exits 1 when the ledger is unbalanced or disagrees with
the payments it records."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from payments.enums import RefundStatus
from payments.ledger import Account, LedgerEntry, unbalanced_transactions
from payments.models import Payment, Refund


def _total(queryset, field: str):
    """A correlated subquery summing `field` of `queryset` per outer payment."""
    summed = queryset.values("_group").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(summed), Value(0))


def payments_out_of_step():
    """Payments whose provider-clearing entries differ from captured minus refunded.

    A capture debits provider_clearing by the amount received and each succeeded refund
    credits it, so a payment's clearing entries must sum to exactly that difference.
    """
    clearing = LedgerEntry.objects.filter(
        transaction__payment=OuterRef("pk"), account=Account.PROVIDER_CLEARING
    ).annotate(_group=F("transaction__payment"))
    refunds = Refund.objects.filter(payment=OuterRef("pk"), status=RefundStatus.SUCCEEDED).annotate(
        _group=F("payment")
    )
    return (
        Payment.objects.annotate(
            cleared=_total(clearing, "amount_minor"), refunded=_total(refunds, "amount_minor")
        )
        .exclude(cleared=F("amount_received_minor") - F("refunded"))
        .values_list("id", "cleared", "amount_received_minor", "refunded")
    )


class Command(BaseCommand):
    help = "Check that every ledger transaction sums to zero and agrees with its payment."

    def handle(self, *args, **options):
        problems = [
            f"transaction {txn_id} sums to {total}, not 0"
            for txn_id, total in unbalanced_transactions()
        ]
        mixed = (
            LedgerEntry.objects.exclude(currency=F("transaction__currency"))
            .values_list("transaction_id", flat=True)
            .distinct()
        )
        problems += [f"transaction {txn_id} mixes currencies" for txn_id in mixed]
        problems += [
            f"payment {payment_id}: ledger clears {cleared}, the payment says {received} "
            f"captured and {refunded} refunded"
            for payment_id, cleared, received, refunded in payments_out_of_step()
        ]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"ledger check failed: {len(problems)} problem(s)")
        entries = LedgerEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Ledger balanced: {entries} entries checked."))
