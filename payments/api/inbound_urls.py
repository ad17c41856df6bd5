from django.urls import path

from payments.api import inbound

urlpatterns = [
    path(
        "webhooks/stripe/<str:provider_account_id>",
        inbound.provider_webhook,
        {"provider": "stripe"},
        name="webhook-stripe",
    ),
    path(
        "webhooks/paypal/<str:provider_account_id>",
        inbound.provider_webhook,
        {"provider": "paypal"},
        name="webhook-paypal",
    ),
]
