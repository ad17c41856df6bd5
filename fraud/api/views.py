"""`/v1/blocklist_items`: the merchant's blocklists (card fingerprints, e-mails, IP
addresses, BINs), per mode. Create, list, retrieve, delete."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from fraud import services
from fraud.enums import BlocklistType
from fraud.models import BlocklistItem
from gateway.api.base import ApiViewSet
from gateway.api.common import ListQueryInputSerializer, error_responses
from gateway.api.fields import StrictInputSerializer, UnixTimestampField


class BlocklistItemCreateInputSerializer(StrictInputSerializer):
    """A value to refuse: payments matching it are blocked (`fraud_blocked`)."""

    type = serializers.ChoiceField(choices=BlocklistType.choices)
    value = serializers.CharField(
        max_length=320,
        help_text="A card fingerprint (as `card.fingerprint` shows it), an e-mail address, "
        "an IPv4/IPv6 address, or the six-digit BIN.",
    )


class BlocklistItemListQueryInputSerializer(ListQueryInputSerializer):
    type = serializers.ChoiceField(choices=BlocklistType.choices, required=False)


class BlocklistItemOutputSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")

    class Meta:
        model = BlocklistItem
        fields = ["id", "object", "type", "value", "livemode", "created"]

    def get_object(self, item) -> str:
        return "blocklist_item"


class BlocklistItemDeletedOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "blocklist_item".')
    deleted = serializers.BooleanField()


class BlocklistItemViewSet(ApiViewSet):
    queryset = BlocklistItem.objects.none()  # types the `id` path parameter in the schema

    @extend_schema(
        operation_id="blocklist_items_create",
        request=BlocklistItemCreateInputSerializer,
        responses={200: BlocklistItemOutputSerializer, **error_responses(400)},
    )
    def create(self, request):
        """Add a value to a blocklist (e-mails lower-cased, IP addresses canonical)."""
        data = self.parse(BlocklistItemCreateInputSerializer)
        item = services.blocklist_item_create(
            merchant=self.merchant,
            livemode=self.livemode,
            type=data["type"],
            value=data["value"],
            actor=self.actor,
        )
        return Response(BlocklistItemOutputSerializer(item).data)

    @extend_schema(
        operation_id="blocklist_items_list",
        parameters=[BlocklistItemListQueryInputSerializer],
        responses={200: BlocklistItemOutputSerializer(many=True), **error_responses(400)},
    )
    def list(self, request):
        """The merchant's blocklist items in this mode, newest first."""
        query = self.parse_query(BlocklistItemListQueryInputSerializer)
        items = BlocklistItem.objects.filter(merchant=self.merchant, livemode=self.livemode)
        if "type" in query:
            items = items.filter(type=query["type"])
        return self.paginated_response(items, BlocklistItemOutputSerializer)

    @extend_schema(
        operation_id="blocklist_items_retrieve",
        responses={200: BlocklistItemOutputSerializer, **error_responses(404)},
    )
    def retrieve(self, request, pk=None):
        item = self.owned(BlocklistItem.objects, pk, noun="blocklist item")
        return Response(BlocklistItemOutputSerializer(item).data)

    @extend_schema(
        operation_id="blocklist_items_delete",
        responses={200: BlocklistItemDeletedOutputSerializer, **error_responses(404)},
    )
    def destroy(self, request, pk=None):
        """Remove a value from its blocklist."""
        item = self.owned(BlocklistItem.objects, pk, noun="blocklist item")
        item_id = item.id
        services.blocklist_item_delete(item=item, actor=self.actor)
        return Response({"id": item_id, "object": "blocklist_item", "deleted": True})
