"""The router every app registers its viewsets on."""

from rest_framework.routers import SimpleRouter


class ApiRouter(SimpleRouter):
    """Stripe's verbs: POST to an object's URL updates it (the viewset's `update`);
    there is no PUT or PATCH. Ids are typed path parameters (`<str:pk>`), no trailing
    slash."""

    routes = [
        route._replace(mapping={"get": "retrieve", "post": "update", "delete": "destroy"})
        if route.name == "{basename}-detail"
        else route
        for route in SimpleRouter.routes
    ]

    def __init__(self) -> None:
        super().__init__(trailing_slash=False, use_regex_path=False)
