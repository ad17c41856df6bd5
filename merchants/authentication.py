"""DRF authentication from `Authorization: Bearer <key>` (or HTTP Basic, key as user).

Sets `request.user` to the Merchant and `request.auth` to the ApiKey; the key's mode
decides whether the request sees test or live data. One indexed query per request,
no cache, so a revoked key is refused by every worker on its next request.
"""

import base64
import binascii

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication

from gateway.api.errors import AuthenticationError
from merchants import keys
from merchants.enums import MerchantStatus
from merchants.models import ApiKey

_DUMMY_HASH = "0" * 64


def _key_from_header(header: str) -> str:
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return ""


def api_key_authenticate(key: str) -> ApiKey:
    """The usable key `key` is, of a merchant that is not closed (with the merchant
    selected); AuthenticationError (401) says why not."""
    if not keys.is_well_formed(key):
        raise AuthenticationError(
            "Invalid API key provided. Send `Authorization: Bearer sk_test_...`."
        )
    try:  # get(): the prefix is unique, and first() would have Django build an ORDER BY
        api_key = ApiKey.objects.select_related("merchant").get(prefix=keys.lookup_prefix(key))
    except ApiKey.DoesNotExist:
        api_key = None
    # Compare even when no row matched, so timing does not reveal valid prefixes.
    matches = keys.hash_matches(key, api_key.key_hash if api_key else _DUMMY_HASH)
    if api_key is None or not matches:
        raise AuthenticationError("Invalid API key provided.")
    if not api_key.is_usable(at=timezone.now()):
        raise AuthenticationError(
            "This API key has been revoked or has expired.", code="api_key_expired"
        )
    if api_key.merchant.status == MerchantStatus.CLOSED:
        raise AuthenticationError("This account is closed.", code="account_closed")
    return api_key


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # NotAuthenticated -> 401 from the permission check
        api_key = api_key_authenticate(_key_from_header(header))
        return api_key.merchant, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
