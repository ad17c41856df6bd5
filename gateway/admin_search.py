"""Admin searches never carry a card number or a secret onto a page.

The admin echoes a search term in the search box, the result count and every link of
the changelist. A PAN (or an API key) typed into it would then sit in the page, the
browser's history and any screenshot. Such a search is turned away before any view
runs: back to the same list, without the term, with a hint of what to search instead.
Nothing the vault holds can be found by a full number anyway (it is encrypted; staff
search a card by its last four digits).
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from gateway.logging import redact

SEARCH_PARAMETER = "q"  # django.contrib.admin.views.main.SEARCH_VAR


class AdminSearchRedactionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        term = request.GET.get(SEARCH_PARAMETER, "")
        if term and redact(term) != term and request.path.startswith(reverse("admin:index")):
            return self._without_the_term(request)
        return self.get_response(request)

    @staticmethod
    def _without_the_term(request):
        query = request.GET.copy()
        del query[SEARCH_PARAMETER]
        messages.warning(
            request,
            "Search does not take card numbers, keys or secrets, and did not run. "
            "Search a card by its last four digits, an object by its id.",
        )
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}".rstrip("?"))
