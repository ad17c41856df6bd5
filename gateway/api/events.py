"""`/v1/events`: the outbox as merchants see it (retrieve, list)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import CREATED_PARAMETERS
from gateway.api.errors import InvalidRequestError
from gateway.api.fields import UnixTimestampField
from gateway.api.filters import CREATED, created_filter, known_parameters
from gateway.api.routers import ApiRouter
from gateway.events import Event


class EventRequestSerializer(serializers.Serializer):
    """The API request that caused the event; null ids for changes no request made."""

    id = serializers.CharField(allow_null=True)
    idempotency_key = serializers.CharField(allow_null=True)


class EventSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()
    created = UnixTimestampField(source="created_at")
    request = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "object", "type", "created", "livemode", "data", "request"]

    def get_object(self, event) -> str:
        return "event"

    @extend_schema(responses=EventRequestSerializer)
    def get_request(self, event) -> dict:
        return {"id": event.request_id or None, "idempotency_key": event.idempotency_key or None}


class EventViewSet(ApiViewSet):
    @extend_schema(responses=EventSerializer)
    def retrieve(self, request, pk=None):
        return Response(EventSerializer(self.owned(Event.objects, pk, noun="event")).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("type", str, description="An event type, or a prefix like payment.*"),
            OpenApiParameter(
                "object",
                str,
                description="Only events about this object id (one of the caller's, "
                "deleted ones included: every object has at least the event of its creation)",
            ),
            *CREATED_PARAMETERS,
        ],
        responses=EventSerializer(many=True),
    )
    def list(self, request):
        """Events, newest first."""
        known_parameters(request.query_params, "type", "object", *CREATED)
        filters = created_filter(request.query_params)
        event_type = request.query_params.get("type")
        if event_type and event_type.endswith(".*"):
            filters["type__startswith"] = event_type[:-1]
        elif event_type:
            filters["type"] = event_type
        events = Event.objects.filter(merchant=self.merchant, livemode=self.livemode)
        if object_id := request.query_params.get("object"):
            # as every filter naming an object: one the caller never had is an error
            if not events.filter(object_id=object_id).exists():
                raise InvalidRequestError(
                    f"No such object: '{object_id}'", code="resource_missing", param="object"
                )
            filters["object_id"] = object_id
        queryset = events.filter(**filters)
        return self.paginated_response(queryset, EventSerializer)


router = ApiRouter()
router.register("events", EventViewSet, basename="event")
urlpatterns = router.urls
