"""Logging: filters that keep the console readable (a shop run by `make run`, a worker in
production) without hiding anything that went wrong, and the context production's JSON lines
carry: the request id that ties a request to the Stripe calls it made and the tasks it
queued (docs/production-checks.md has the settings; LOG_FORMAT, LOG_EVENTS)."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# The task framework logs every task's start and end at INFO: hundreds of lines when the demo
# is seeded. Their warnings and errors (a failed task) still show.
CHATTY = ("django_tasks", "django.tasks", "django_tasks_db")


class QuietRoutineLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not record.name.startswith(CHATTY)


# --- the request id and the running task ---------------------------------------------------

# The id of the request this thread is serving (apps.core.request_id.RequestIdMiddleware),
# inherited by what the request runs in-process (a task of the immediate backend).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# The tasks this thread is running, innermost last: (task id, task path, start time).
_running_tasks: ContextVar[tuple[tuple[str, str, float], ...]] = ContextVar(
    "running_tasks", default=())


def task_started(task_id: str, task: str) -> None:
    _running_tasks.set((*_running_tasks.get(), (task_id, task, time.monotonic())))


def task_finished(task_id: str) -> float | None:
    """Forget the task; its duration in milliseconds (None if it was not started here)."""
    running = _running_tasks.get()
    for index, (started_id, _task, started) in enumerate(running):
        if started_id == task_id:
            _running_tasks.set(running[:index] + running[index + 1:])
            return round((time.monotonic() - started) * 1000, 1)
    return None


class RequestContext(logging.Filter):
    """Put `request_id` on every record (None outside a request), and `task_id` and `task`
    on a record logged while a task runs. Attached to the handler, so it sees the records
    of every logger (the shop's, Django's, the Stripe SDK's, the workers')."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs a 4xx or 5xx answer after the middleware is done, with the request.
            record.request_id = request_id.get() or getattr(
                getattr(record, "request", None), "request_id", None)
        request = getattr(record, "request", None)
        if request is not None and record.args and isinstance(record.args, tuple):
            # Django's "Not Found: <path>": a stale guest link's token is a credential.
            from apps.core.request_id import loggable_path

            path = loggable_path(request)
            record.args = tuple(path if arg == request.path else arg for arg in record.args)
        running = _running_tasks.get()
        if running and getattr(record, "task_id", None) is None:
            record.task_id, record.task, _started = running[-1]
        return True


# --- production's format: one JSON object a line -------------------------------------------

# Attributes some loggers add that must never reach a log line: Django's `request` (its text
# has the query string), the database's query parameters (customers' data).
NOT_LOGGED = ("request", "params")


def json_formatter(**options) -> JsonFormatter:
    """python-json-logger's formatter: time, level, logger, message, then every field the
    record carries (request_id, task_id, status, duration_ms...)."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, *NOT_LOGGED],
        **options,
    )
