from django.urls import path

from merchants.api.views import AccountViewSet

urlpatterns = [
    path("account", AccountViewSet.as_view({"get": "retrieve"}), name="account"),
]
