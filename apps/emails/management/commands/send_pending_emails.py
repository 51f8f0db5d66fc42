import logging
import time

from django.core.management.base import BaseCommand

from apps.emails.services import send_pending_emails

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send e-mails that are waiting: retries that are due and messages whose task was "
        "lost. Sends abandoned by a crashed worker are marked 'unknown' for staff, never sent "
        "again blindly. Safe to run any time (cron), or keep it running with --every."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true",
            help="Also retry messages whose next attempt is not due yet.",
        )
        parser.add_argument(
            "--failed", action="store_true",
            help="First requeue the failed messages (after a provider outage longer than the "
                 "retries), then send them.",
        )
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS",
            help="Keep running, checking every SECONDS (for a process manager instead of cron).",
        )

    def handle(self, *args, every: int, **options):
        failed = options["failed"]
        while True:
            try:
                sent = send_pending_emails(due_only=not options["all"], failed=failed)
            except Exception:
                if not every:
                    raise
                # A long-running loop outlives a database hiccup; the next round retries.
                logger.exception("Sending pending e-mails failed")
            else:
                if sent or not every:  # a quiet loop while idle
                    self.stdout.write(f"{len(sent)} e-mail(s) sent")
            if not every:
                return
            failed = False  # requeue failed ones once, not on every round
            time.sleep(every)
