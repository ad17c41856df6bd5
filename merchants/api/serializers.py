from rest_framework import serializers

from gateway.api.fields import UnixTimestampField
from merchants.models import Merchant


class AccountOutputSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    livemode = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")

    class Meta:
        model = Merchant
        fields = ["id", "object", "name", "email", "status", "livemode", "created"]

    def get_object(self, merchant) -> str:
        return "account"

    def get_livemode(self, merchant) -> bool:
        return self.context["livemode"]
