"""manage.py seed_demo: the demo merchant's test mode, filled with customers, saved cards
and payments in most states, made through the same services as the API."""

import random
from collections import Counter

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from gateway.management.arguments import integer_at_least
from merchants.management.commands.demo_merchant import DEMO_EMAIL
from merchants.models import Merchant
from payments.enums import CancellationReason, CaptureMethod, PaymentStatus, RefundReason
from payments.errors import PaymentDeclined
from payments.models import Customer, Payment, PaymentMethod
from payments.services.customers import customer_create
from payments.services.payment_methods import payment_method_create
from payments.services.payments import payment_cancel, payment_capture, payment_create
from payments.services.refunds import refund_create

# The customers' saved cards: most succeed, two decline every charge (SPEC §4's table).
SAVED_CARDS = [
    *["4242424242424242"] * 4,
    *["5555555555554444"] * 3,
    "378282246310005",
    "6011111111111117",
    "4000000000009995",  # insufficient_funds
    "4000000000000341",  # attaches fine, every charge declined
]
NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
# Charged once each, with the customer present: left waiting for the 3-D Secure
# challenge, and blocked by fraud screening.
ON_SESSION_CARDS = ["4000002500003155", "4100000000000019"]


def _card(number: str) -> dict:
    cvc = "1234" if number.startswith(("34", "37")) else "123"  # American Express: four
    return {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": cvc}


class Command(BaseCommand):
    help = (
        "Fill the demo merchant's test mode (created if missing) with customers, saved "
        "cards and payments: captured, refunded in part or in full, authorized, canceled, "
        "declined, waiting for 3-D Secure, blocked by fraud screening."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=integer_at_least(1), default=10)
        parser.add_argument("--payments", type=integer_at_least(0), default=100)
        parser.add_argument(
            "--seed", type=int, default=None, help="repeatable amounts and follow-ups"
        )

    def handle(self, *args, customers: int, payments: int, seed: int | None, **options):
        call_command("demo_merchant", stdout=self.stdout)
        merchant = Merchant.objects.get(email=DEMO_EMAIL)
        rng = random.Random(seed)
        saved = [self._customer(merchant, index) for index in range(customers)]
        for index in tqdm(range(payments), unit="payment", file=self.stderr):
            customer, method = saved[index % len(saved)]
            self._off_session(merchant, customer, method, index, rng)
        for number in ON_SESSION_CARDS:
            card = {"type": "card", "card": _card(number)}
            self._pay(
                merchant, amount_minor=rng.randrange(500, 9_900, 100), payment_method_data=card
            )
        statuses = Counter(
            Payment.objects.filter(merchant=merchant, livemode=False).values_list(
                "status", flat=True
            )
        )
        self.stdout.write(
            self.style.SUCCESS("Demo payments by status: ")
            + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
        )

    def _customer(self, merchant, index: int) -> tuple[Customer, PaymentMethod]:
        name = NAMES[index % len(NAMES)]
        with transaction.atomic():
            customer = customer_create(
                merchant=merchant,
                livemode=False,
                name=f"{name} Demo {index + 1}",
                email=f"{name.lower()}.{index + 1}@customer.example",
            )
            method, _ = payment_method_create(
                merchant=merchant,
                livemode=False,
                card=_card(SAVED_CARDS[index % len(SAVED_CARDS)]),
                customer=customer,
            )
        return customer, method

    def _pay(self, merchant, **body) -> Payment | None:
        try:
            return payment_create(merchant=merchant, livemode=False, currency="usd", **body)
        except PaymentDeclined:
            return None  # stored as failed, which the demo wants too

    def _off_session(self, merchant, customer, method, index: int, rng: random.Random) -> None:
        """A saved card charged by the merchant (as renewals are), then perhaps captured
        later, canceled or refunded. Off-session, so the card velocity rules of fraud
        screening do not turn the demo's repeated test cards into 3-D Secure requests."""
        manual = rng.random() < 0.3
        payment = self._pay(
            merchant,
            amount_minor=rng.randrange(500, 9_900, 100),
            payment_method_id=method.id,
            customer_id=customer.id,
            off_session=True,
            capture_method=CaptureMethod.MANUAL if manual else CaptureMethod.AUTOMATIC,
            description=f"Order #{1000 + index}",
        )
        if payment is None:
            return
        chance = rng.random()
        if payment.status == PaymentStatus.AUTHORIZED:
            if chance < 0.4:
                payment_capture(payment=payment)
            elif chance < 0.6:
                payment_cancel(payment=payment, reason=CancellationReason.REQUESTED_BY_CUSTOMER)
        elif payment.status == PaymentStatus.CAPTURED:
            if chance < 0.1:
                refund_create(payment=payment, reason=RefundReason.REQUESTED_BY_CUSTOMER)
            elif chance < 0.25:
                refund_create(payment=payment, amount_minor=payment.amount_minor // 2)
