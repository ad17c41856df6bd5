"""Operations console for webhooks: endpoints, deliveries with every attempt, resend.

Read-only except for actions, which go through the services and are audited with the
reason the staff member gives.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from gateway.admin_actions import reason_action
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ReadOnlyFieldsAdmin(admin.ModelAdmin):
    """Every field shown read-only (but `hidden_fields`); unlike gateway.admin's
    ReadOnlyAdmin it keeps the change permission, which the actions below need."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    hidden_fields: tuple[str, ...] = ()
    extra_readonly: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in self.model._meta.fields if f.name not in self.hidden_fields]
        return [*fields, *self.extra_readonly]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyFieldsAdmin):
    list_display = ["id", "merchant", "livemode", "url", "status", "failing_since", "created_at"]
    list_filter = ["status", "livemode", "disabled_reason"]
    search_fields = ["id", "url", "merchant__id", "merchant__name"]
    list_select_related = ["merchant"]
    hidden_fields = ("secret_ciphertext",)
    extra_readonly = ("deliveries_link",)
    actions = [
        reason_action(
            name="disable_endpoints",
            label="Disable endpoints",
            permission="change",
            service=lambda e, user, **kw: services.webhook_endpoint_update(
                endpoint=e, disabled=True, **kw
            ),
        ),
        reason_action(
            name="enable_endpoints",
            label="Enable endpoints",
            permission="change",
            service=lambda e, user, **kw: services.webhook_endpoint_update(
                endpoint=e, disabled=False, **kw
            ),
        ),
    ]

    @admin.display(description="Deliveries")
    def deliveries_link(self, obj) -> str:
        url = (
            reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">deliveries of this endpoint</a>', url)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = [
        "number",
        "started_at",
        "status_code",
        "latency_ms",
        "error",
        "response_body",
        "webhook_timestamp",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyFieldsAdmin):
    list_display = [
        "id",
        "event",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "endpoint__livemode"]
    search_fields = ["event__id", "endpoint__id", "endpoint__merchant__id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]
    actions = [
        reason_action(
            name="resend",
            label="Resend webhooks",
            permission="change",
            service=lambda d, user, **kw: services.webhook_delivery_resend(delivery=d, **kw),
        ),
    ]

    @admin.display(description="type")
    def event_type(self, obj) -> str:
        return obj.event.type
