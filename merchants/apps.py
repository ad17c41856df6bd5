from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MerchantsConfig(AppConfig):
    name = "merchants"

    def ready(self) -> None:
        import merchants.schema  # noqa: F401 - registers the OpenAPI auth scheme
        from gateway.roles import sync_role_permissions

        # Permissions exist only after migrate; refresh the staff groups' grants then.
        post_migrate.connect(sync_role_permissions)
