import logging
import time

from django.core.management.base import BaseCommand

from apps.payments.services.reconciliation import expire_unpaid_orders, send_payment_reminders

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Remind customers of unpaid orders shortly before their reservation ends; cancel "
        "unpaid orders whose stock reservation expired, return their stock and cancel their "
        "open Stripe PaymentIntents."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS",
            help="Keep running, checking every SECONDS (for a process manager instead of cron).",
        )

    def handle(self, *args, every: int, **options):
        while True:
            try:
                report = expire_unpaid_orders()
                reminded = send_payment_reminders()
            except Exception:
                if not every:
                    raise
                # A long-running loop outlives a database hiccup; the next round retries.
                logger.exception("Releasing expired orders failed")
            else:
                if report.orders_cancelled or not every:  # a quiet loop while idle
                    self.stdout.write(
                        f"Released {len(report.orders_cancelled)} expired order(s). "
                        f"{' '.join(report.orders_cancelled)}"
                    )
                if report.payments_canceled:
                    self.stdout.write(
                        f"Canceled {len(report.payments_canceled)} PaymentIntent(s). "
                        f"{' '.join(report.payments_canceled)}"
                    )
                if reminded:
                    self.stdout.write(f"Sent {len(reminded)} payment reminder(s). "
                                      f"{' '.join(reminded)}")
                for error in report.errors:
                    self.stderr.write(f"Left for reconcile_payments: {error}")
            if not every:
                return
            time.sleep(every)
