from django.urls import path

from bench.reference.views import InsertView
from gateway import urls as gateway_urls

urlpatterns = [path("bench/insert", InsertView.as_view()), *gateway_urls.urlpatterns]
handler400, handler403 = gateway_urls.handler400, gateway_urls.handler403
handler404, handler500 = gateway_urls.handler404, gateway_urls.handler500
