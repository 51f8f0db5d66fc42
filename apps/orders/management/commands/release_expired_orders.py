import time

from django.core.management.base import BaseCommand

from apps.orders.services import release_expired_orders


class Command(BaseCommand):
    help = "Cancel unpaid orders whose stock reservation expired and return their stock."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS",
            help="Keep running, checking every SECONDS (for a process manager instead of cron).",
        )

    def handle(self, *args, every: int, **options):
        while True:
            cancelled = release_expired_orders()
            self.stdout.write(f"Released {len(cancelled)} expired order(s). {' '.join(cancelled)}")
            if not every:
                return
            time.sleep(every)
