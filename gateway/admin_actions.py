"""Admin actions that change state through a service and record why.

`reason_action` wraps a service call in a confirmation page with a required reason,
so every state-changing action in the operations console is audited with who
(the admin user), what (the action and object) and why (the reason).
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django_fsm import TransitionNotAllowed

from gateway.api.errors import ApiError


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


def admin_actor(request) -> str:
    return f"admin:{request.user.get_username()}"


def reason_action(
    *,
    name: str,
    label: str,
    permission: str,
    service: Callable,
    extra_form: type[forms.Form] | None = None,
    respond: Callable | None = None,
):
    """Build an admin action that asks for a reason, then calls
    `service(obj, actor=..., reason=..., user=request.user, **extra_fields)` for each
    selected object (`user` lets a service apply per-role limits). `respond(modeladmin,
    request, results)`, given, answers with what the services returned."""
    form_class = type("ActionForm", (ReasonForm, extra_form), {}) if extra_form else ReasonForm

    def action(modeladmin, request, queryset):
        form = form_class(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            reason = fields.pop("reason")
            results = []
            for obj in queryset:
                try:
                    results.append(
                        service(
                            obj,
                            actor=admin_actor(request),
                            reason=reason,
                            user=request.user,
                            **fields,
                        )
                    )
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR
                    )
                except (ApiError, TransitionNotAllowed, ValueError) as exc:
                    modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
            if results and respond is not None:
                return respond(modeladmin, request, results)
            if results:
                modeladmin.message_user(request, f"{label}: {len(results)} done.", messages.SUCCESS)
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": label,
            "action_name": name,
            "objects": queryset,
            "form": form,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/gateway/action_with_reason.html", context)

    action.__name__ = name
    return admin.action(description=label, permissions=[permission])(action)
