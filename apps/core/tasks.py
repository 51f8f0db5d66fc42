"""What the project needs to know about a task backend (django-tasks) to enqueue safely
inside a transaction, and the log lines that tie a task to the request that queued it."""

import logging

from django.conf import settings
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.signals import task_enqueued, task_finished, task_started

from apps.core import logging as log_context

task_logger = logging.getLogger("shop.tasks")


def stores_tasks_in_database(backend: BaseTaskBackend) -> bool:
    """django-tasks-db keeps tasks as rows of the project's database: a task enqueued inside
    a transaction is committed or rolled back with it (an outbox), and its worker cannot
    see it before the commit."""
    return type(backend).__module__.split(".")[0] == "django_tasks_db"


def runs_tasks_now(backend: BaseTaskBackend) -> bool:
    """The immediate backend (tests) runs a task inside `enqueue`; so does django-tasks-rq
    when every queue it uses is synchronous (RQ_QUEUES "ASYNC": False, the RQ test profile).
    Any other backend's worker may start a task before the enqueueing transaction commits
    (RQ: a job in Redis): enqueue it with `transaction.on_commit`."""
    if isinstance(backend, ImmediateBackend):
        return True
    if any(cls.__module__.split(".")[0] == "django_tasks_rq" for cls in type(backend).__mro__):
        queues = getattr(settings, "RQ_QUEUES", {})
        return all(queues.get(name, {}).get("ASYNC", True) is False for name in backend.queues)
    return False


# --- task log lines ------------------------------------------------------------------------
# Every backend (database, RQ, immediate) sends django-tasks' signals: `task_enqueued` where
# the task is queued, `task_started` and `task_finished` where it runs. "task queued" carries
# the request id of the request that queued it (apps.core.logging.RequestContext) and the
# task's id; every line logged while the task runs carries that task id (and, when the task
# runs in the request's own process, the request id too). Search a request id, then the task
# ids its "task queued" lines name. Log lines only: no business flow hangs on these signals.


def _queued(sender, task_result, **kwargs) -> None:
    task_logger.info("task queued: %s", task_result.task.module_path,
                     extra={"task_id": str(task_result.id), "task": task_result.task.module_path})


def _started(sender, task_result, **kwargs) -> None:
    log_context.task_started(str(task_result.id), task_result.task.module_path)


def _finished(sender, task_result, **kwargs) -> None:
    duration = log_context.task_finished(str(task_result.id))
    status = str(task_result.status)
    task_logger.info(
        "task %s: %s", status.lower(), task_result.task.module_path,
        extra={"task_id": str(task_result.id), "task": task_result.task.module_path,
               "task_status": status, "duration_ms": duration},
    )


def connect_task_logs() -> None:
    """Called once by CoreConfig.ready()."""
    task_enqueued.connect(_queued, dispatch_uid="shop.tasks.queued")
    task_started.connect(_started, dispatch_uid="shop.tasks.started")
    task_finished.connect(_finished, dispatch_uid="shop.tasks.finished")
