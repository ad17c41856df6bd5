"""Admin URLs never carry a card number or a secret onto a page.

The admin echoes its query parameters: a search term in the search box, the result
count and every link of the changelist, a filter's value in the filters and the
dashboard's forms. A PAN (or an API key, a client secret) typed into one would then
sit in the page, the browser's history and any screenshot. Such a request is turned
away before any view runs: back to the same page without those parameters, with a
hint of what to search instead. Nothing the vault holds can be found by a full
number anyway (it is encrypted; staff search a card by its last four digits).
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from gateway.logging import redact


class AdminSearchRedactionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.GET and request.path.startswith(reverse("admin:index")):
            holding = [
                key
                for key, values in request.GET.lists()
                if any(redact(value) != value for value in values)
            ]
            if holding:
                return self._without(request, holding)
        return self.get_response(request)

    @staticmethod
    def _without(request, parameters: list[str]):
        query = request.GET.copy()
        for parameter in parameters:
            del query[parameter]
        messages.warning(
            request,
            "Search does not take card numbers, keys or secrets, and did not run. "
            "Search a card by its last four digits, an object by its id.",
        )
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}".rstrip("?"))
