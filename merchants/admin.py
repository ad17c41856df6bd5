from datetime import timedelta

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse

from gateway.admin_actions import admin_actor, reason_action
from gateway.money import normalize_currency
from merchants import services
from merchants.enums import MerchantStatus
from merchants.models import ApiKey, FeeRule, Merchant
from merchants.services import ROLL_GRACE_MAX_HOURS


class FeeRuleForm(forms.ModelForm):
    percent_bps = forms.IntegerField(
        min_value=0, max_value=10_000, help_text="basis points: 290 is 2.90 %"
    )

    class Meta:
        model = FeeRule
        fields = ["currency", "percent_bps", "fixed_minor"]

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"]
        if not currency:
            return ""
        code = normalize_currency(currency)
        if code is None:
            raise forms.ValidationError("An ISO 4217 code the gateway accepts, like usd.")
        return code


class FeeRuleInline(admin.TabularInline):
    """The fee schedule (SPEC §3): saved through the services, which audit each rule."""

    model = FeeRule
    form = FeeRuleForm
    extra = 0
    verbose_name = "fee rule (basis points of the amount plus fixed minor units)"


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ["prefix", "kind", "livemode", "created_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "name", "email"]
    readonly_fields = ["id", "status", "created_at"]
    inlines = [FeeRuleInline, ApiKeyInline]
    actions = [
        reason_action(
            name="suspend",
            label="Suspend merchants",
            permission="change",
            service=lambda m, user, **kw: services.merchant_suspend(merchant=m, **kw),
        ),
        reason_action(
            name="activate",
            label="Activate or reinstate merchants",
            permission="change",
            service=lambda m, user, **kw: services.merchant_activate(merchant=m, **kw),
        ),
        reason_action(
            name="close",
            label="Close merchants",
            permission="change",
            service=lambda m, user, **kw: services.merchant_close(merchant=m, **kw),
        ),
    ]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_fields(self, request, obj=None):
        return ["id", "name", "email", "status", "created_at"] if obj else ["name", "email"]

    def save_model(self, request, obj, form, change):
        """Merchants are created and changed through the services, which audit."""
        if change:
            services.merchant_update(
                merchant=obj,
                actor=admin_actor(request),
                **{field: form.cleaned_data[field] for field in form.changed_data},
            )
            return
        merchant, issued = services.merchant_create(
            name=obj.name, email=obj.email, actor=admin_actor(request)
        )
        obj.__dict__.update({k: v for k, v in merchant.__dict__.items() if k != "_state"})
        obj._state.adding = False
        request._issued_keys = issued.values()

    def save_formset(self, request, form, formset, change):
        if formset.model is not FeeRule:
            return super().save_formset(request, form, formset, change)
        actor = admin_actor(request)
        for rule in formset.save(commit=False):
            services.fee_rule_save(rule=rule, actor=actor)
        for rule in formset.deleted_objects:
            services.fee_rule_delete(rule=rule, actor=actor)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        return _issued_keys_response(self, request, list(request._issued_keys))


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["merchant", "kind", "livemode"]

    def clean_merchant(self):
        merchant = self.cleaned_data["merchant"]
        if merchant.status == MerchantStatus.CLOSED:
            raise forms.ValidationError("A closed merchant gets no keys.")
        return merchant


class RollForm(forms.Form):
    grace_hours = forms.IntegerField(
        min_value=0,
        max_value=ROLL_GRACE_MAX_HOURS,
        initial=0,
        help_text="How long the old key keeps working: 0 (it stops at once) to "
        f"{ROLL_GRACE_MAX_HOURS} hours.",
    )


def _issued_keys_response(model_admin, request, issued) -> TemplateResponse:
    """Shows new keys' plaintext once, in this response only (never in a cookie)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "New API keys: copy them now, they will not be shown again",
        "issued": issued,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/merchants/issued_keys.html", context)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "merchant",
        "kind",
        "livemode",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["kind", "livemode"]
    search_fields = ["prefix", "merchant__id", "merchant__name"]
    list_select_related = ["merchant"]
    actions = [
        reason_action(
            name="roll",
            label="Roll keys",
            permission="change",
            extra_form=RollForm,
            service=lambda k, user, grace_hours, **kw: services.api_key_roll(
                api_key=k, grace=timedelta(hours=grace_hours), **kw
            ),
            respond=_issued_keys_response,
        ),
        reason_action(
            name="revoke",
            label="Revoke keys",
            permission="change",
            service=lambda k, user, **kw: services.api_key_revoke(api_key=k, **kw),
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["prefix", "merchant", "kind", "livemode", "created_at", "expires_at", "revoked_at"]

    def get_exclude(self, request, obj=None):
        return ["key_hash"]

    def save_model(self, request, obj, form, change):
        if change:
            return  # keys are immutable; roll or revoke them instead
        issued = services.api_key_create(
            merchant=obj.merchant,
            kind=obj.kind,
            livemode=obj.livemode,
            actor=admin_actor(request),
        )
        obj.__dict__.update({k: v for k, v in issued.api_key.__dict__.items() if k != "_state"})
        obj._state.adding = False
        request._issued_keys = [issued]

    def response_add(self, request, obj, post_url_continue=None):
        return _issued_keys_response(self, request, request._issued_keys)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
