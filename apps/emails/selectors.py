"""What ops read about the e-mail queue (the readiness probe, `/metrics`)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.emails.models import EmailRecord, EmailStatus
from apps.emails.services import PENDING_STATUSES


@dataclass(frozen=True)
class EmailBacklog:
    waiting: int  # queued or waiting to retry
    due: int  # of those, the ones whose turn has come
    oldest_due_seconds: float  # how long the oldest due one has waited; 0 when none


def email_backlog(*, now: datetime | None = None) -> EmailBacklog:
    """Messages not sent yet. A queued one is due from its creation, a retrying one from its
    next attempt: a backlog of due messages that grows means no worker is sending."""
    now = now or timezone.now()
    due = Q(status=EmailStatus.QUEUED) | Q(next_attempt_at__lte=now) | Q(next_attempt_at=None)
    row = EmailRecord.objects.filter(status__in=PENDING_STATUSES).aggregate(
        waiting=Count("pk"),
        due=Count("pk", filter=due),
        oldest_queued=Min("created_at", filter=Q(status=EmailStatus.QUEUED)),
        oldest_retry=Min("next_attempt_at", filter=~Q(status=EmailStatus.QUEUED)),
    )
    since = [moment for moment in (row["oldest_queued"], row["oldest_retry"])
             if moment is not None and moment <= now]
    oldest = (now - min(since)).total_seconds() if since else 0.0
    return EmailBacklog(waiting=row["waiting"], due=row["due"], oldest_due_seconds=oldest)
