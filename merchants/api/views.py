from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.api.serializers import AccountOutputSerializer


class AccountApi(APIView):
    @extend_schema(responses=AccountOutputSerializer, operation_id="account_retrieve")
    def get(self, request):
        """The calling merchant's account, in the mode of the key used."""
        context = {"livemode": request.auth.livemode}
        return Response(AccountOutputSerializer(request.user, context=context).data)
