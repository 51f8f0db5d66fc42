"""Log filters that keep the console readable (a shop run by `make run`, a worker in
production) without hiding anything that went wrong."""

import logging

# The task framework logs every task's start and end at INFO: hundreds of lines when the demo
# is seeded. Their warnings and errors (a failed task) still show.
CHATTY = ("django_tasks", "django.tasks", "django_tasks_db")


class QuietRoutineLogs(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return not record.name.startswith(CHATTY)
