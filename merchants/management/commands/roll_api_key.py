from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from merchants.enums import ApiKeyKind
from merchants.models import ApiKey
from merchants.services import api_key_roll


class Command(BaseCommand):
    help = "Replace an API key with a new one; the old key works for --grace seconds."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", required=True, help="mer_… id")
        parser.add_argument("--kind", choices=ApiKeyKind.values, default=ApiKeyKind.SECRET)
        parser.add_argument("--mode", choices=["test", "live"], default="test")
        parser.add_argument("--grace", type=int, default=0, help="seconds (default 0)")

    def handle(self, *args, merchant, kind, mode, grace, **options):
        api_key = (
            ApiKey.objects.usable()
            .filter(merchant_id=merchant, kind=kind, livemode=mode == "live")
            .first()
        )
        if api_key is None:
            raise CommandError(f"No usable {mode} {kind} key for {merchant}.")
        if grace < 0:
            raise CommandError("--grace must be zero or more seconds.")
        issued = api_key_roll(api_key=api_key, grace=timedelta(seconds=grace), actor="cli")
        self.stdout.write(f"New {mode} {kind} key (shown once): {issued.plaintext}")
        self.stdout.write(f"The old key {api_key.prefix}… stops working in {grace} s.")
