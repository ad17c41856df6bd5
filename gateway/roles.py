"""Staff roles: the `support`, `finance` and `admin` groups and what each may do.

The groups are created by a data migration; their permissions are granted after
every migrate, so models added later are covered without another migration.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

ROLES = ("support", "finance", "admin")

# Staff accounts, groups and sessions: only `admin` sees them.
_STAFF_APPS = ("auth", "sessions")
# Beyond viewing everything else: the change/add permissions each role holds, by app
# or by one model of an app (support reviews held payments but does not tune
# screening; it resends webhook deliveries but does not turn endpoints off or on).
# Finer limits (support refunds up to a limit) are checked by the services.
_ROLE_GRANTS = {
    "support": {
        "payments": ("change",),
        "webhooks.webhookdelivery": ("change",),
        "fraud.review": ("change",),
    },
    # SPEC §3: reconciliation, payouts, exports; views of the rest, and no refunds
    "finance": {"reconciliation": ("add", "change")},
}


def role_permissions(role: str):
    if role == "admin":
        return Permission.objects.all()
    grants = _ROLE_GRANTS.get(role, {})

    def granted(p: Permission) -> tuple[str, ...]:
        app, model = p.content_type.app_label, p.content_type.model
        return grants.get(app, ()) + grants.get(f"{app}.{model}", ())

    return [
        p
        for p in Permission.objects.select_related("content_type")
        if (p.codename.startswith("view_") and p.content_type.app_label not in _STAFF_APPS)
        or any(p.codename.startswith(f"{verb}_") for verb in granted(p))
    ]


def sync_role_permissions(*, app_config=None, **kwargs) -> None:
    """post_migrate receiver: runs once, after the last app's permissions exist."""
    if app_config is not list(apps.get_app_configs())[-1]:
        return
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(role_permissions(role))
