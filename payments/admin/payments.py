"""Payments and refunds in the admin: searchable lists, a timeline per payment, and
capture / cancel / refund actions that go through the API's services, asking for a
reason and auditing who asked for what and why before anything moves."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction

from fraud.admin import FraudAssessmentPanel, review_queue_admin
from fraud.models import Assessment, Review
from gateway.admin import ReadOnlyAdmin
from gateway.admin_actions import reason_action
from gateway.audit import AuditLog, audit_record
from gateway.events import Event
from gateway.masking import mask_email, without_client_secrets
from gateway.money import Money
from gateway.timeline import event_rows
from payments.models import Payment, ProviderOperation, Refund
from payments.services import payments as payment_services
from payments.services.refunds import refund_create
from payments.services.reviews import payment_review_approve, payment_review_reject


def _audit(payment: Payment, *, action: str, actor: str, reason: str = "", **data) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=f"payment.{action}",
            obj=payment,
            merchant_id=payment.merchant_id,
            reason=reason,
            data={k: v for k, v in data.items() if v is not None},
        )


def _audited(payment: Payment, *, action: str, actor: str, reason: str, call, **data):
    """Record the request before acting, so it is on file whatever happens next; then
    what came of it: `<action>.refused` with the error, or `<action>.done` with the
    outcome (the refund and its amount, the payment's status and amounts)."""
    _audit(payment, action=action, actor=actor, reason=reason, **data)
    try:
        result = call()
    except Exception as exc:
        _audit(payment, action=f"{action}.refused", actor=actor, error=str(exc))
        raise
    if isinstance(result, Refund):
        outcome = {"refund": result.id, "amount": result.amount_minor, "status": result.status}
    else:
        outcome = {
            "status": result.status,
            "amount_received": result.amount_received_minor,
            "amount_refunded": result.amount_refunded_minor,
        }
    _audit(payment, action=f"{action}.done", actor=actor, **outcome)
    return result


class AmountForm(forms.Form):
    # Not an IntegerField: it reads "5.00" as 5, and a support agent meaning five
    # dollars would capture five cents and release the rest of the authorization.
    amount = forms.RegexField(
        regex=r"^[1-9][0-9]{0,8}$",
        required=False,
        help_text="whole minor units (500 is 5.00 USD); empty for all that is left",
        error_messages={"invalid": "Whole minor units, no decimal point: 500 is 5.00 USD."},
    )

    def clean_amount(self) -> int | None:
        amount = self.cleaned_data["amount"]
        return int(amount) if amount else None


def _capture(payment, *, actor, reason, user, amount=None):
    return _audited(
        payment,
        action="capture",
        actor=actor,
        reason=reason,
        amount=amount,
        call=lambda: payment_services.payment_capture(payment=payment, amount_minor=amount),
    )


def _cancel(payment, *, actor, reason, user):
    return _audited(
        payment,
        action="cancel",
        actor=actor,
        reason=reason,
        call=lambda: payment_services.payment_cancel(
            payment=payment, reason="requested_by_customer"
        ),
    )


def _refund_limit_for(user) -> int | None:
    """Support staff refund up to SUPPORT_REFUND_LIMIT_MINOR of a payment in all;
    admin without limit (finance does not refund: SPEC §3)."""
    if user.is_superuser or user.groups.filter(name="admin").exists():
        return None
    return settings.SUPPORT_REFUND_LIMIT_MINOR


def _refund(payment, *, actor, reason, user, amount=None):
    return _audited(
        payment,
        action="refund",
        actor=actor,
        reason=reason,
        amount=amount,
        call=lambda: refund_create(
            payment=payment,
            amount_minor=amount,
            reason="requested_by_customer",
            refunded_limit_minor=_refund_limit_for(user),
        ),
    )


class PaymentAdmin(FraudAssessmentPanel, ReadOnlyAdmin):
    list_display = ["id", "merchant", "livemode", "status", "amount", "provider", "created_at"]
    list_filter = [
        "status",
        "livemode",
        "provider",
        "capture_method",
        ("merchant", admin.RelatedOnlyFieldListFilter),
    ]
    # A card's last four digits (`=4242`), or ids and references by their start.
    search_fields = [
        "=payment_method__card_last4",
        "^id",
        "^provider_reference",
        "^merchant__id",
        "^customer__id",
    ]
    list_select_related = ["merchant"]
    date_hierarchy = "created_at"
    change_form_template = "admin/payments/payment/change_form.html"
    exclude = ["client_secret", "idempotency_key", "next_action", "risk_context_ciphertext"]
    readonly_fields = ["fraud_assessment", "next_action_shown", "risk_context_shown"]

    @admin.display(description="next action")
    def next_action_shown(self, payment: Payment) -> str:
        return json.dumps(without_client_secrets(payment.next_action), ensure_ascii=False)

    @admin.display(description="risk context")
    def risk_context_shown(self, payment: Payment) -> str:
        """As the customer's and the assessment's pages show an e-mail: masked."""
        context = dict(payment.risk_context or {})
        if context.get("email"):
            context["email"] = mask_email(context["email"])
        return json.dumps(context, ensure_ascii=False)

    @admin.display(description="amount")
    def amount(self, payment: Payment) -> str:
        return str(Money(payment.amount_minor, payment.currency))

    actions = [
        reason_action(
            name="capture",
            label="Capture authorized payments",
            permission="capture_or_cancel",
            service=_capture,
            extra_form=AmountForm,
        ),
        reason_action(
            name="cancel",
            label="Cancel (void) payments",
            permission="capture_or_cancel",
            service=_cancel,
        ),
        reason_action(
            name="refund",
            label="Refund payments",
            permission="change_payment_status",
            service=_refund,
            extra_form=AmountForm,
        ),
    ]

    def has_change_payment_status_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_payment")

    def has_capture_or_cancel_permission(self, request) -> bool:
        return request.user.has_perm("payments.capture_or_cancel_payment")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The admin's links quote the id ("_" becomes "_5F"); look it up unquoted.
        timeline = payment_timeline(unquote(object_id))
        extra_context = {**(extra_context or {}), "timeline": timeline}
        return super().change_view(request, object_id, form_url, extra_context)


def payment_timeline(payment_id: str) -> list[dict]:
    """Events (and their webhook deliveries), staff actions with who and why, the fraud
    decision, provider operations and ledger postings of a payment, oldest first."""
    refund_ids = list(Refund.objects.filter(payment_id=payment_id).values_list("id", flat=True))
    events = list(Event.objects.filter(object_id__in=[payment_id, *refund_ids]))
    rows = [
        {"at": event.created_at, "kind": "event", "what": event.type, "detail": event.id}
        for event in events
    ]
    rows += [
        {
            "at": entry.created_at,
            "kind": "audit",
            "what": f"{entry.action} by {entry.actor}",
            "detail": entry.reason,
        }
        for entry in AuditLog.objects.filter(object_id__in=[payment_id, *refund_ids])
    ]
    rows += event_rows([event.id for event in events])
    rows += [
        {
            "at": assessment.created_at,
            "kind": "fraud",
            "what": f"{assessment.decision} (score {assessment.score})",
            "detail": ", ".join(assessment.reasons) or "no rule fired",
        }
        for assessment in Assessment.objects.filter(payment_id=payment_id)
    ]
    rows += [
        {
            "at": op.created_at,
            "kind": "provider",
            "detail": op.idempotency_key,
            "what": f"{op.kind} {op.status}" + (f" ({op.error_code})" if op.error_code else ""),
        }
        for op in ProviderOperation.objects.filter(payment_id=payment_id)
    ]
    payment = (
        Payment.objects.filter(pk=payment_id)
        .prefetch_related("ledger_transactions__entries")
        .first()
    )
    for txn in payment.ledger_transactions.all() if payment else []:
        entries = ", ".join(f"{e.account} {e.amount_minor:+d}" for e in txn.entries.all())
        rows.append(
            {
                "at": txn.created_at,
                "kind": "ledger",
                "what": txn.type,
                "detail": f"{txn.id}: {entries} {txn.currency}",
            }
        )
    return sorted(rows, key=lambda row: row["at"])


admin.site.register(Payment, PaymentAdmin)


def _held_payment(review: Review) -> Payment:
    return Payment.objects.get(pk=review.payment_id)


# The review queue's approve/reject are payments' services (fraud never imports payments).
admin.site.register(
    Review,
    review_queue_admin(
        approve=lambda review, user, **kw: payment_review_approve(
            payment=_held_payment(review), **kw
        ),
        reject=lambda review, user, **kw: payment_review_reject(
            payment=_held_payment(review), **kw
        ),
    ),
)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "status", "amount_minor", "currency", "reason", "created_at"]
    list_filter = ["status", "livemode", "reason"]
    search_fields = ["id", "payment__id", "provider_reference", "merchant__id"]
