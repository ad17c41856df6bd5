"""The blocklist item a request may create, by type, in the OpenAPI document
(imported in apps.ready)."""

from drf_spectacular.extensions import OpenApiSerializerExtension

from fraud.enums import BlocklistType
from gateway.api.fields import IP_ADDRESS_SCHEMA

# What fraud.services.blocklist_value_normalize accepts for each type.
VALUE_SCHEMAS = {
    BlocklistType.CARD_FINGERPRINT: {"type": "string", "pattern": "^[A-Za-z0-9]{8,64}$"},
    BlocklistType.EMAIL: {"type": "string", "pattern": r"^\S[\s\S]*@[\s\S]*\S$"},
    BlocklistType.IP_ADDRESS: IP_ADDRESS_SCHEMA,
    BlocklistType.CARD_BIN: {"type": "string", "pattern": "^[0-9]{6}$"},
}


def _one_of(kind: BlocklistType) -> dict:
    return {"type": "string", "enum": [kind.value]}


class BlocklistItemCreateInputSchema(OpenApiSerializerExtension):
    """One shape per type, so the document says which values each type takes."""

    target_class = "fraud.api.views.BlocklistItemCreateInputSerializer"

    def map_serializer(self, auto_schema, direction):
        described = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {
            **described,
            "oneOf": [
                {
                    "type": "object",
                    # in allOf: drf-spectacular would hoist a bare enum into a component,
                    # and give the four of them one name
                    "properties": {"type": {"allOf": [_one_of(kind)]}, "value": value},
                }
                for kind, value in VALUE_SCHEMAS.items()
            ],
        }
