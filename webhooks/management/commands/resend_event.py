from django.core.management.base import BaseCommand, CommandError

from gateway.events import Event
from webhooks.models import WebhookEndpoint
from webhooks.services import EndpointNotSubscribed, webhook_endpoint_deliver, webhook_event_resend


class Command(BaseCommand):
    help = (
        "Send an event again to every enabled endpoint subscribed to its type (or one "
        "with --endpoint), with a fresh retry schedule; audited as the CLI."
    )

    def add_arguments(self, parser):
        parser.add_argument("event", help="evt_… id")
        parser.add_argument("--endpoint", help="only this endpoint (we_…)")
        parser.add_argument("--reason", default="", help="why (kept in the audit log)")
        parser.add_argument(
            "--now",
            action="store_true",
            help="deliver in the foreground instead of leaving it to the workers",
        )

    def handle(self, *args, event, endpoint=None, reason="", now=False, **options):
        found = Event.objects.filter(pk=event).first()
        if found is None:
            raise CommandError(f"No such event: {event}")
        target = None
        if endpoint:
            target = WebhookEndpoint.objects.live().filter(pk=endpoint).first()
            if target is None:
                raise CommandError(f"No such webhook endpoint: {endpoint}")
            if (target.merchant_id, target.livemode) != (found.merchant_id, found.livemode):
                mode = "live" if found.livemode else "test"
                raise CommandError(
                    f"{endpoint} is not an endpoint of {found.id}'s merchant in {mode} mode."
                )
        try:
            deliveries = webhook_event_resend(
                event=found, endpoint=target, actor="cli", reason=reason
            )
        except EndpointNotSubscribed as exc:
            raise CommandError(str(exc)) from None
        if not deliveries:
            self.stdout.write(f"No enabled endpoint is subscribed to {found.type}.")
            return
        for delivery in deliveries:
            if now:
                webhook_endpoint_deliver(endpoint_id=delivery.endpoint_id)
                delivery.refresh_from_db()
            self.stdout.write(f"{found.id} -> {delivery.endpoint_id}: {delivery.status}")
