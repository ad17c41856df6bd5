"""Hosted pages, under /hosted/ (see payments.views)."""

from django.urls import path

from payments import views

urlpatterns = [
    path("payments/<str:payment_id>/checkout", views.checkout, name="hosted-checkout"),
    path("payments/<str:payment_id>/authenticate", views.authenticate, name="hosted-3ds"),
    path("payments/<str:payment_id>/receipt", views.receipt, name="hosted-receipt"),
    path("payments/<str:payment_id>/return", views.provider_return, name="hosted-return"),
]
