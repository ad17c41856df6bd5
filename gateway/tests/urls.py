"""Extra routes for the tests: a JSON echo, a view that crashes, idempotency endpoints."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.tests.idempotency_views import router as idempotency_router
from gateway.urls import handler400, handler403, handler404, handler500  # noqa: F401
from gateway.urls import urlpatterns as real_urlpatterns


class EchoApi(APIView):
    def post(self, request):
        return Response({"received": request.data})


class CrashApi(APIView):
    def get(self, request):
        raise RuntimeError("card 4242424242424242 exploded")


urlpatterns = [
    path("v1/_test/echo", EchoApi.as_view()),
    path("v1/_test/crash", CrashApi.as_view()),
    path("v1/", include(idempotency_router.urls)),
    path("", include(real_urlpatterns)),
]
