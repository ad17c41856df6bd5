"""Per-API-key rate limit: API_RATE_LIMIT requests per second, counted in the cache.

One counter per key and second (`cache.add` then `cache.incr`: two round trips,
atomic in Redis). With Redis, every process shares the counters. If the cache is
unreachable the limiter fails open: payments keep flowing and the failure is logged.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        limit = settings.API_RATE_LIMIT
        api_key = getattr(request, "auth", None)
        if not limit or api_key is None:
            return True
        now = time.time()
        bucket = f"ratelimit:{api_key.prefix}:{int(now)}"
        try:
            cache.add(bucket, 0, timeout=2)
            count = cache.incr(bucket)
        except Exception:  # cache down: fail open, documented in the README
            logger.warning("Rate limiter cache unavailable; allowing request")
            return True
        self.retry_after = 1.0 - (now % 1.0)
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
