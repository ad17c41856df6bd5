from django.urls import path

from merchants.api.views import AccountApi

urlpatterns = [
    path("account", AccountApi.as_view(), name="account"),
]
