from django.core.management.base import BaseCommand, CommandError

from apps.payments.models import StripeEvent
from apps.payments.services.reconciliation import reconcile_payments
from apps.payments.webhooks import reprocess_event


class Command(BaseCommand):
    help = (
        "Catch up with Stripe: process undelivered or failed events, re-read open payments, "
        "cancel open PaymentIntents of cancelled orders, send pending refunds. "
        "With --event evt_...: run one stored event again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=3,
                            help="How far back to list undelivered events (Stripe keeps 30).")
        parser.add_argument("--stale-minutes", type=int, default=10,
                            help="Re-read open payments not updated for this long.")
        parser.add_argument("--event", metavar="EVENT_ID",
                            help="Re-run one stored Stripe event (staff: after fixing a bug).")

    def handle(self, *args, days: int, stale_minutes: int, event: str | None, **options):
        if event:
            try:
                result = reprocess_event(stripe_event_id=event)
            except StripeEvent.DoesNotExist as exc:
                raise CommandError(f"No stored event {event}") from exc
            self.stdout.write(f"{event}: {result.status_code} {result.detail}")
            if result.status_code != 200:
                raise CommandError(f"{event} failed again; see the event's error")
            return
        report = reconcile_payments(days=days, stale_minutes=stale_minutes)
        self.stdout.write(
            f"Events processed: {len(report.events_processed)}, "
            f"failed: {len(report.events_failed)}; "
            f"payments re-read: {len(report.payments_refreshed)}, "
            f"canceled: {len(report.payments_canceled)}; "
            f"refunds sent: {len(report.refunds_sent)}"
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.events_failed:
            self.stderr.write("Failed events: " + " ".join(report.events_failed))
