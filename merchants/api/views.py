from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from merchants.api.serializers import AccountOutputSerializer


class AccountViewSet(ApiViewSet):
    @extend_schema(responses=AccountOutputSerializer, operation_id="account_retrieve")
    def retrieve(self, request):
        """The calling merchant's account, in the mode of the key used."""
        context = {"livemode": self.livemode}
        return Response(AccountOutputSerializer(self.merchant, context=context).data)
