from rest_framework.routers import SimpleRouter

from payments.api.customers import CustomerViewSet
from payments.api.payment_methods import PaymentMethodViewSet


class ApiRouter(SimpleRouter):
    """Stripe's verbs: POST to an object's URL updates it (the viewset's `update`);
    there is no PUT or PATCH."""

    routes = [
        route._replace(mapping={"get": "retrieve", "post": "update", "delete": "destroy"})
        if route.name == "{basename}-detail"
        else route
        for route in SimpleRouter.routes
    ]


router = ApiRouter(trailing_slash=False)
router.register("customers", CustomerViewSet, basename="customer")
router.register("payment_methods", PaymentMethodViewSet, basename="payment-method")

urlpatterns = router.urls
