import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone
from tqdm import tqdm

from gateway.management.arguments import integer_at_least
from webhooks.models import WebhookEndpoint
from webhooks.selectors import deliveries_due_by_endpoint
from webhooks.services import (
    webhook_deliveries_recover,
    webhook_endpoint_deliver,
    webhook_events_dispatch_pending,
)


class Command(BaseCommand):
    help = (
        "Deliver every due webhook now, in the foreground, without a Celery worker: "
        "dispatches undispatched events, recovers deliveries of dead workers, then "
        "sends what is due (several endpoints at once), with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--endpoint", help="only this endpoint (we_…)")
        parser.add_argument(
            "--concurrency",
            type=integer_at_least(1),
            default=4,
            help="endpoints served at once (default 4)",
        )

    def handle(self, *args, endpoint=None, concurrency=4, **options):
        if endpoint and not WebhookEndpoint.objects.filter(pk=endpoint).exists():
            raise CommandError(f"No such webhook endpoint: {endpoint}")
        now = timezone.now()
        dispatched = webhook_events_dispatch_pending(created_before=now)
        recovered = webhook_deliveries_recover(at=now)
        due = deliveries_due_by_endpoint(at=timezone.now())
        if endpoint:
            due = {endpoint: due.get(endpoint, 0)}
        counts = {"succeeded": 0, "failed": 0}
        lock = threading.Lock()
        with tqdm(total=sum(due.values()), unit="delivery", file=self.stderr) as bar:

            def attempted(sent) -> None:
                with lock:
                    counts["succeeded" if sent.outcome.succeeded else "failed"] += 1
                    bar.update(1)

            def drain(endpoint_id: str) -> int:
                try:
                    return webhook_endpoint_deliver(
                        endpoint_id=endpoint_id, budget_seconds=3600, on_attempt=attempted
                    )
                finally:
                    if threading.current_thread() is not threading.main_thread():
                        connections.close_all()

            if concurrency <= 1:
                for endpoint_id in due:
                    drain(endpoint_id)
            else:
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    list(pool.map(drain, due))
        self.stdout.write(
            f"{dispatched} events dispatched, {recovered} deliveries recovered; "
            f"{counts['succeeded']} attempts succeeded, {counts['failed']} failed "
            "(failures are retried on their schedule)."
        )
