"""Read-only admin for the vault: never a card number, PII only masked."""

from django.contrib import admin

from gateway import masking
from gateway.admin import ReadOnly, ReadOnlyAdmin
from payments import vault
from payments.models import Customer, PaymentMethod


def mask_email(email: str) -> str:
    """`jane@example.com` -> `j***@example.com`, `-` when there is none."""
    return masking.mask_email(email) or "-"


def mask_name(name: str) -> str:
    """`Jane Doe` -> `J*** D***`."""
    return " ".join(f"{word[:1]}***" for word in name.split()) or "-"


def mask_phone(phone: str) -> str:
    """`+1 555 555 0100` -> `***00`."""
    digits = [char for char in phone if char.isdigit()]
    return f"***{''.join(digits[-2:])}" if phone else "-"


class CardExpiry:
    @admin.display(description="expiry")
    def expiry(self, payment_method: PaymentMethod) -> str:
        return f"{payment_method.card_exp_month:02d}/{payment_method.card_exp_year}"


class PaymentMethodInline(CardExpiry, ReadOnly, admin.TabularInline):
    model = PaymentMethod
    fields = ["id", "card_brand", "card_last4", "expiry", "card_fingerprint", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "livemode", "created_at"]
    list_filter = ["livemode"]
    search_fields = ["id", "merchant__id"]
    list_select_related = ["merchant"]
    fields = [
        "id",
        "merchant",
        "livemode",
        "email",
        "name",
        "phone",
        "description",
        "metadata",
        "default_payment_method",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [PaymentMethodInline]

    def _pii(self, customer: Customer) -> dict:
        return vault.customer_pii(customer)

    @admin.display(description="e-mail (masked)")
    def email(self, customer: Customer) -> str:
        return mask_email(self._pii(customer).get("email", ""))

    @admin.display(description="name (masked)")
    def name(self, customer: Customer) -> str:
        return mask_name(self._pii(customer).get("name", ""))

    @admin.display(description="phone (masked)")
    def phone(self, customer: Customer) -> str:
        return mask_phone(self._pii(customer).get("phone", ""))


@admin.register(PaymentMethod)
class PaymentMethodAdmin(CardExpiry, ReadOnlyAdmin):
    list_display = [
        "id",
        "card_brand",
        "card_last4",
        "expiry",
        "card_fingerprint",
        "customer",
        "merchant",
        "livemode",
        "created_at",
    ]
    list_filter = ["card_brand", "livemode"]
    search_fields = ["id", "card_fingerprint", "customer__id", "merchant__id"]
    list_select_related = ["merchant"]
    # Never the ciphertexts, nor the cross-merchant fingerprint.
    fields = [
        "id",
        "merchant",
        "livemode",
        "customer",
        "type",
        "card_brand",
        "card_last4",
        "expiry",
        "card_fingerprint",
        "card_country",
        "card_funding",
        "metadata",
        "created_at",
        "detached_at",
    ]
    readonly_fields = fields
