from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from gateway import health, metrics
from gateway.api import views as api_views
from payments.admin.dashboard import dashboard_view

api_v1 = [
    path("schema", api_views.SchemaView.as_view(), name="schema"),
    path("", include("merchants.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("fraud.api.urls")),
    path("", include("gateway.api.events")),
    path("", include("webhooks.api.urls")),
    re_path(r"^.*$", api_views.not_found, name="api-not-found"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("v1", api_views.not_found),
    path("v1/", include(api_v1)),
    path("", include("payments.api.inbound_urls")),
    path("hosted/", include("payments.urls")),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("metrics", metrics.metrics_view, name="metrics"),
]

handler400 = api_views.bad_request
handler403 = api_views.permission_denied
handler404 = api_views.page_not_found
handler500 = api_views.server_error
