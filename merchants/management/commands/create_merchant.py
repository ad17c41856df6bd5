import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from merchants.services import merchant_create


def keys_document(merchant, issued) -> dict:
    """The shape other commands and scripts rely on (see the README)."""
    return {
        "id": merchant.id,
        "name": merchant.name,
        "test": {
            "secret_key": issued["test_secret"].plaintext,
            "publishable_key": issued["test_publishable"].plaintext,
        },
        "live": {
            "secret_key": issued["live_secret"].plaintext,
            "publishable_key": issued["live_publishable"].plaintext,
        },
    }


class Command(BaseCommand):
    help = "Create an active merchant with test and live API keys, and print the keys once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )

    def handle(self, *args, name, email, as_json, **options):
        try:
            merchant, issued = merchant_create(name=name, email=email, actor="cli")
        except ValidationError as exc:
            problems = "; ".join(
                f"--{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
            )
            raise CommandError(problems) from None
        document = keys_document(merchant, issued)
        if as_json:
            self.stdout.write(json.dumps(document))
            return
        self.stdout.write(f"Merchant {merchant.id} ({merchant.name}) is active.")
        self.stdout.write("These keys are shown once; store them now.")
        for mode in ("test", "live"):
            for label, key in document[mode].items():
                self.stdout.write(f"  {mode} {label}: {key}")
