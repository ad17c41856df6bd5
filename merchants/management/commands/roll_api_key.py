from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from merchants.enums import ApiKeyKind
from merchants.models import ApiKey
from merchants.services import ROLL_GRACE_MAX_HOURS, api_key_roll


class Command(BaseCommand):
    help = "Replace an API key with a new one; the old key works for --grace seconds."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", required=True, help="mer_… id")
        parser.add_argument("--kind", choices=ApiKeyKind.values, default=ApiKeyKind.SECRET)
        parser.add_argument("--mode", choices=["test", "live"], default="test")
        parser.add_argument(
            "--grace",
            type=int,
            default=0,
            help=f"seconds, 0 (default) to {ROLL_GRACE_MAX_HOURS * 3600} (7 days)",
        )

    def handle(self, *args, merchant, kind, mode, grace, **options):
        api_key = (
            ApiKey.objects.usable()
            .filter(merchant_id=merchant, kind=kind, livemode=mode == "live")
            .filter(expires_at__isnull=True)  # not one rolled already, in its grace period
            .first()
        )
        if api_key is None:
            raise CommandError(f"No usable {mode} {kind} key for {merchant}.")
        if not 0 <= grace <= ROLL_GRACE_MAX_HOURS * 3600:
            raise CommandError(f"--grace is 0 to {ROLL_GRACE_MAX_HOURS * 3600} seconds (7 days).")
        try:
            issued = api_key_roll(api_key=api_key, grace=timedelta(seconds=grace), actor="cli")
        except ValueError as exc:
            raise CommandError(f"{api_key.prefix}…: {exc}.") from None
        self.stdout.write(f"New {mode} {kind} key (shown once): {issued.plaintext}")
        self.stdout.write(f"The old key {api_key.prefix}… stops working in {grace} s.")
