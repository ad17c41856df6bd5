from django.conf import settings
from django.core.management.base import BaseCommand

from merchants.models import Merchant
from merchants.services import merchant_create

DEMO_EMAIL = "demo@merchant.example"


class Command(BaseCommand):
    help = "Create the local demo merchant once and print its test keys."

    def handle(self, *args, **options):
        merchant = Merchant.objects.filter(email=DEMO_EMAIL).first()
        if merchant is not None:
            self.stdout.write(
                f"Demo merchant {merchant.id} exists; its keys were printed when it was "
                "created. For a new test secret key run:\n"
                f"  python manage.py roll_api_key --merchant {merchant.id} --mode test"
            )
            return
        merchant, issued = merchant_create(name="Demo Merchant", email=DEMO_EMAIL, actor="cli")
        self.stdout.write(self.style.SUCCESS(f"Demo merchant {merchant.id} created."))
        self.stdout.write(f"  test secret key:      {issued['test_secret'].plaintext}")
        self.stdout.write(f"  test publishable key: {issued['test_publishable'].plaintext}")
        self.stdout.write(
            "Shown once. Try: curl -H 'Authorization: Bearer <secret key>' "
            f"{settings.PUBLIC_BASE_URL}/v1/account"
        )
