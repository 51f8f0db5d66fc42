from django.core.management.base import BaseCommand

from apps.emails.services import send_pending_emails


class Command(BaseCommand):
    help = (
        "Send e-mails that are waiting: retries that are due, messages whose task was lost, "
        "sends abandoned by a crashed worker. Safe to run any time (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true",
            help="Also retry messages whose next attempt is not due yet.",
        )

    def handle(self, *args, **options):
        sent = send_pending_emails(due_only=not options["all"])
        self.stdout.write(f"{len(sent)} e-mail(s) sent")
