"""What the project needs to know about a task backend (django-tasks) to enqueue safely
inside a transaction."""

from django_tasks.backends.base import BaseTaskBackend
from django_tasks.backends.immediate import ImmediateBackend


def stores_tasks_in_database(backend: BaseTaskBackend) -> bool:
    """django-tasks-db keeps tasks as rows of the project's database: a task enqueued inside
    a transaction is committed or rolled back with it (an outbox), and its worker cannot
    see it before the commit."""
    return type(backend).__module__.split(".")[0] == "django_tasks_db"


def runs_tasks_now(backend: BaseTaskBackend) -> bool:
    """The immediate backend (tests) runs a task inside `enqueue`."""
    return isinstance(backend, ImmediateBackend)
