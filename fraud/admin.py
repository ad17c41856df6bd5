"""Fraud screening in the operations console: per-merchant settings and rules,
blocklists, assessments, the review queue, and the assessment panel of a payment.

The review queue's approve/reject move payments, so they are payments' services:
`review_queue_admin` builds the queue's ModelAdmin around them, and payments/admin.py
registers it (fraud never imports payments). `FraudAssessmentPanel` is a mixin for the
payment's admin page.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from fraud import services
from fraud.models import Assessment, BlocklistItem, FraudSettings, Review, RuleSetting
from fraud.rules import RULES
from gateway.admin_actions import admin_actor, reason_action


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RuleSettingInline(admin.TabularInline):
    model = RuleSetting
    extra = 0
    fields = ["rule", "is_enabled", "weight", "description"]
    readonly_fields = ["description"]

    @admin.display(description="what it checks")
    def description(self, setting: RuleSetting) -> str:
        rule = RULES.get(setting.rule)
        return rule.description if rule else "-"


@admin.register(FraudSettings)
class FraudSettingsAdmin(admin.ModelAdmin):
    list_display = ["merchant", "is_enabled", "three_d_secure_from", "review_from", "block_from"]
    list_filter = ["is_enabled"]
    search_fields = ["merchant__id", "merchant__name"]
    list_select_related = ["merchant"]
    raw_id_fields = ["merchant"]
    inlines = [RuleSettingInline]

    def save_related(self, request, form, formsets, change) -> None:
        """Audit the change (who, and each value before and after) with the rules'."""
        super().save_related(request, form, formsets, change)
        changed = {
            name: [form.initial.get(name), form.cleaned_data[name]] for name in form.changed_data
        }
        rules = [
            {"rule": rule.instance.rule, "changed": rule.changed_data}
            for formset in formsets
            for rule in formset.forms
            if rule.has_changed()
        ]
        if changed or rules:
            services.fraud_settings_audit(
                settings=form.instance, actor=admin_actor(request), changed=changed, rules=rules
            )

    def delete_model(self, request, obj):
        services.fraud_settings_delete(settings=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        for settings in queryset:
            services.fraud_settings_delete(settings=settings, actor=admin_actor(request))


class BlocklistItemForm(forms.ModelForm):
    class Meta:
        model = BlocklistItem
        fields = ["merchant", "livemode", "type", "value"]

    def clean(self):
        data = super().clean()
        if data.get("type") and data.get("value"):
            try:
                data["value"] = services.blocklist_value_normalize(data["type"], data["value"])
            except ValueError as exc:
                self.add_error("value", str(exc))
        return data


@admin.register(BlocklistItem)
class BlocklistItemAdmin(admin.ModelAdmin):
    """Added and removed through the services, so every change is audited."""

    form = BlocklistItemForm
    list_display = ["id", "type", "value", "merchant", "livemode", "created_at"]
    list_filter = ["type", "livemode"]
    search_fields = ["value", "merchant__id"]
    list_select_related = ["merchant"]
    raw_id_fields = ["merchant"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        item = services.blocklist_item_create(
            merchant=obj.merchant,
            livemode=obj.livemode,
            type=obj.type,
            value=obj.value,
            actor=admin_actor(request),
        )
        obj.pk, obj.created_at = item.pk, item.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.blocklist_item_delete(item=obj, actor=admin_actor(request))

    def delete_queryset(self, request, queryset):
        for item in queryset:
            services.blocklist_item_delete(item=item, actor=admin_actor(request))


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["payment_id", "score", "decision", "reasons", "merchant", "created_at"]
    list_filter = ["decision", "livemode"]
    search_fields = ["payment_id", "merchant__id"]
    list_select_related = ["merchant"]
    readonly_fields = [
        "payment_id",
        "merchant",
        "livemode",
        "score",
        "decision",
        "reasons",
        "points",
        "inputs",
        "created_at",
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _payment_link(payment_id: str) -> str:
    try:
        url = reverse("admin:payments_payment_change", args=[payment_id])
    except NoReverseMatch:
        return payment_id
    return format_html('<a href="{}">{}</a>', url, payment_id)


def review_queue_admin(
    *, approve: Callable[..., object], reject: Callable[..., object]
) -> type[admin.ModelAdmin]:
    """The ModelAdmin of the review queue, whose actions call `approve(review, actor=,
    reason=)` and `reject(...)`: services that move the held payment."""

    class ReviewAdmin(ReadOnlyMixin, admin.ModelAdmin):
        list_display = [
            "id",
            "payment",
            "status",
            "score",
            "reasons",
            "merchant",
            "livemode",
            "opened_at",
        ]
        list_filter = ["status", "livemode"]
        search_fields = ["id", "payment_id", "merchant__id"]
        list_select_related = ["merchant", "assessment"]
        ordering = ["opened_at"]  # oldest first: the queue
        fields = ["id", "payment", "status", "merchant", "livemode", "opened_at", "closed_at"]
        readonly_fields = fields
        actions = [
            reason_action(
                name="approve_review",
                label="Approve (release the payments)",
                permission="change",
                service=approve,
            ),
            reason_action(
                name="reject_review",
                label="Reject (void and cancel the payments)",
                permission="change",
                service=reject,
            ),
        ]

        @admin.display(description="payment")
        def payment(self, review: Review) -> str:
            return _payment_link(review.payment_id)

        @admin.display(description="score")
        def score(self, review: Review) -> int:
            return review.assessment.score

        @admin.display(description="reasons")
        def reasons(self, review: Review) -> str:
            return ", ".join(review.assessment.reasons)

    return ReviewAdmin


class FraudAssessmentPanel:
    """Mixin for the payment's ModelAdmin: add "fraud_assessment" to its fields (and
    readonly_fields) to show how screening judged the payment, and its review."""

    @admin.display(description="fraud assessment")
    def fraud_assessment(self, payment) -> str:
        assessment = (
            Assessment.objects.filter(payment_id=payment.pk).select_related("review").first()
        )
        if assessment is None:
            return "-"
        review = getattr(assessment, "review", None)
        return mark_safe(  # noqa: S308 - rendered by a template, which escapes
            render_to_string(
                "admin/fraud/assessment_panel.html",
                {"assessment": assessment, "review": review},
            )
        )
