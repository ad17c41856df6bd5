"""The address a request came from, behind the proxies the deployment says it has.

Behind a TLS proxy or load balancer every request's `REMOTE_ADDR` is the proxy's: fraud
screening would count every cardholder as one address. With TRUSTED_PROXY_COUNT = N,
the address is the one the Nth proxy from us saw, read from `X-Forwarded-For` from the
right, where a client cannot forge it (what it sends itself ends up further left).
"""

from django.conf import settings


def client_ip(request) -> str:
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            address.strip()
            for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if address.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
