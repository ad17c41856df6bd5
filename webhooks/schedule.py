"""When the next attempt of a failed delivery happens (SPEC §6).

WEBHOOK_RETRY_SCHEDULE lists the wait before each attempt: the first entry (0) is
the immediate first attempt, entry n the wait after the n-th failure. Waits get
+/-10 % jitter so a recovering endpoint is not hit by every retry at once. A 429 or
503 `Retry-After` pushes the next attempt later, never earlier, and is capped so a
receiver cannot park a delivery for days.
"""

import random

from django.conf import settings

JITTER = 0.10
RETRY_AFTER_CAP_SECONDS = 24 * 3600


def delay_after_failure(step: int, *, retry_after: float | None = None) -> float | None:
    """Seconds until the attempt after the `step`-th failed one (1-based), None when
    the schedule is exhausted and the delivery has failed for good."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if step >= len(schedule):
        return None
    delay = schedule[step] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return delay
