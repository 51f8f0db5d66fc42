"""The task backend of the scale-out profile (REDIS_URL): django-tasks-rq, enqueueing after
the current transaction commits.

An RQ job lives in Redis, outside the database transaction that enqueues it: a worker may
start it before that transaction commits (and read rows that are not there yet, or old ones)
or after it rolled back. The shop's own services enqueue after commit already
(`apps.core.tasks.runs_tasks_now`), but Wagtail and its search index enqueue theirs
(`update_reference_index_task`, `insert_or_update_object_task`) from `post_save`, inside the
saving transaction. This backend holds any task enqueued inside a transaction until the
commit, and drops it with a rollback (of its savepoint too), as django-tasks-db does by
storing tasks in the same transaction. Outside a transaction it enqueues at once.

The result `enqueue` returns has the job's id either way (READY until the worker runs it).
"""

from functools import partial
from typing import Any

import django_rq
from django.db import transaction
from django_tasks.base import TASK_MAX_PRIORITY, Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import Job, RQBackend, failed_callback, success_callback
from rq.job import Callback, JobStatus


class OnCommitRQBackend(RQBackend):
    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(
            task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=None,
            started_at=None, last_attempted_at=None, finished_at=None, args=args,
            kwargs=kwargs, backend=self.alias, errors=[], worker_ids=[],
        )
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(self._enqueue_job, result, args, kwargs))
        else:
            self._enqueue_job(result, args, kwargs)
        return result

    def _enqueue_job(self, result: TaskResult, args: Any, kwargs: Any) -> None:
        """django-tasks-rq's `RQBackend.enqueue` (0.12), for a result made beforehand."""
        task = result.task
        queue = django_rq.get_queue(task.queue_name, job_class=Job)
        job = queue.create_job(
            task.module_path,
            args=args,
            kwargs=kwargs,
            job_id=result.id,
            status=JobStatus.SCHEDULED if task.run_after else JobStatus.QUEUED,
            on_failure=Callback(failed_callback),
            on_success=Callback(success_callback),
            meta={"backend_name": self.alias},
        )
        if task.run_after is None:
            job = queue.enqueue_job(job, at_front=task.priority == TASK_MAX_PRIORITY)
        else:
            job = queue.schedule_job(job, task.run_after)
        object.__setattr__(result, "enqueued_at", job.enqueued_at)
        task_enqueued.send(type(self), task_result=result)
