from rest_framework.response import Response
from rest_framework.views import APIView

from bench.reference.models import Insert


class InsertView(APIView):
    """`POST /bench/insert {amount}`: the project's authentication, permission and
    throttling (its DRF defaults), one INSERT, a small JSON answer."""

    def post(self, request):
        row = Insert.objects.create(
            merchant_id=request.user.id, amount_minor=int(request.data.get("amount", 0))
        )
        return Response({"id": row.pk, "amount": row.amount_minor})
