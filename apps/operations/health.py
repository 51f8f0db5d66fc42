"""The readiness probe's checks (django-health-check): the database, the caches, the task
queue, the e-mail backlog and the Stripe mode.

A check that raises `ServiceUnavailable` takes this machine out of the load balancer (503):
the database or Redis is gone. A check that raises `ServiceWarning` only reports (200,
status "degraded"): a stalled task queue or a growing e-mail backlog means the workers need
attention, but every web machine would see the same queue, and taking them all out of the
load balancer would close the shop instead of helping it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from django_tasks import task_backends
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from apps.emails.selectors import email_backlog
from apps.payments import gateway


@dataclasses.dataclass
class DatabaseCheck(Database):
    name: ClassVar[str] = "database"


@dataclasses.dataclass
class CacheCheck(Cache):
    """The cache every process and machine shares (rate limits, page versions): the
    database's cache table on one machine, Redis with REDIS_URL."""

    name: ClassVar[str] = "cache"
    alias: str = "shared"

    async def run(self):
        try:
            await super().run()
        except ServiceUnavailable:
            raise
        except Exception as error:  # django-redis wraps Redis' errors in its own
            raise ServiceUnavailable(f"cache {self.alias!r} unreachable") from error


@dataclasses.dataclass
class TaskQueueCheck(HealthCheck):
    """How long the oldest task ready to run has waited for a worker."""

    name: ClassVar[str] = "task_queue"
    figures: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    async def run(self):
        backend = task_backends["default"]
        kind, age = await sync_to_async(oldest_waiting_task)(backend)
        self.figures = {"backend": kind, "oldest_waiting_seconds": round(age, 1)}
        limit = settings.HEALTH_TASK_QUEUE_MAX_AGE_SECONDS
        if age > limit:
            raise ServiceWarning(f"the oldest task has waited {age:.0f} s (limit {limit} s): "
                                 "is a worker running?")


@dataclasses.dataclass
class EmailBacklogCheck(HealthCheck):
    name: ClassVar[str] = "email_backlog"
    figures: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    async def run(self):
        backlog = await sync_to_async(email_backlog)()
        self.figures = {"waiting": backlog.waiting, "due": backlog.due,
                        "oldest_due_seconds": round(backlog.oldest_due_seconds, 1)}
        limit = settings.HEALTH_EMAIL_MAX_AGE_SECONDS
        if backlog.oldest_due_seconds > limit:
            raise ServiceWarning(f"{backlog.due} e-mails due, the oldest for "
                                 f"{backlog.oldest_due_seconds:.0f} s (limit {limit} s)")


@dataclasses.dataclass
class StripeModeCheck(HealthCheck):
    """Which Stripe the shop talks to: "sandbox", "test" or "live" (never a key). A
    production shop on the sandbox or on test keys takes no money: reported, not failed."""

    name: ClassVar[str] = "stripe"
    figures: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def run(self):
        self.figures = {"mode": gateway.mode()}


def readiness_checks() -> list[type[HealthCheck]]:
    return [DatabaseCheck, CacheCheck, TaskQueueCheck, EmailBacklogCheck, StripeModeCheck]


def oldest_waiting_task(backend) -> tuple[str, float]:
    """(backend kind, seconds the oldest task ready to run has waited) for the two backends
    the shop runs on: django-tasks-db (rows of the database) and django-tasks-rq (Redis).
    Other backends (the immediate one of tests) keep no queue: 0."""
    packages = {cls.__module__.split(".")[0] for cls in type(backend).__mro__}
    if "django_tasks_db" in packages:
        return "database", _database_queue_age()
    if "django_tasks_rq" in packages:
        return "rq", _rq_queue_age(backend)
    return "immediate", 0.0


def _database_queue_age() -> float:
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    # Waiting since it was queued, or since its `run_after` came (a retry with backoff).
    moments = [
        ready.filter(run_after=get_date_max()).order_by("enqueued_at")
        .values_list("enqueued_at", flat=True).first(),
        ready.exclude(run_after=get_date_max()).order_by("run_after")
        .values_list("run_after", flat=True).first(),
    ]
    moments = [moment for moment in moments if moment is not None]
    return max(0.0, (now - min(moments)).total_seconds()) if moments else 0.0


def _rq_queue_age(backend) -> float:
    import django_rq
    from rq.job import Job

    now = timezone.now()
    oldest: datetime | None = None
    for name in sorted(backend.queues):
        queue = django_rq.get_queue(name)
        for job_id in queue.get_job_ids(0, 1):
            job = Job.fetch(job_id, connection=queue.connection)
            if job.enqueued_at is not None:
                oldest = min(filter(None, [oldest, _aware(job.enqueued_at)]))
        # A job whose `run_after` has come but no scheduler moved it to the queue yet.
        due = queue.connection.zrangebyscore(
            queue.scheduled_job_registry.key, 0, now.timestamp(), start=0, num=1,
            withscores=True,
        )
        for _job_id, score in due:
            oldest = min(filter(None, [oldest, datetime.fromtimestamp(score, UTC)]))
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
