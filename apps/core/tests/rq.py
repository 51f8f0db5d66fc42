"""The RQ test profile (TEST_TASKS=rq, config/settings/test.py): every task goes through
django-tasks-rq, RQ's job machinery, its serialisation and Redis, on synchronous queues that
run each job inside `enqueue`, in the test's process (and transaction).

Two adjustments make a synchronous queue behave like the immediate backend the other
profiles use, nothing more:

* `ThreadSafeQueue`: RQ times a job's callbacks with SIGALRM, which Python allows only in the
  main thread; the concurrency tests enqueue from their own threads. A timer thread does the
  same job anywhere.
* `SynchronousRQBackend`: RQ's backend answers `enqueue` with the result as it was before the
  job ran (queued); once a synchronous queue has run it, the result read back from Redis says
  how it ended, as the immediate backend's does.
"""

from django_rq.queues import DjangoRQ
from django_tasks.base import TaskResult
from django_tasks_rq.backend import RQBackend
from rq.timeouts import TimerDeathPenalty


class ThreadSafeQueue(DjangoRQ):
    def __init__(self, *args, **kwargs):
        kwargs["death_penalty_class"] = TimerDeathPenalty
        super().__init__(*args, **kwargs)


class SynchronousRQBackend(RQBackend):
    def enqueue(self, task, args, kwargs) -> TaskResult:
        result = super().enqueue(task, args, kwargs)
        if task.run_after is None:
            result.refresh()  # run by now (synchronous queue); deferred ones wait in Redis
        return result
