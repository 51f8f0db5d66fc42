from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from apps.core import checks, tasks

        checks.register()  # what production needs before it serves (docs/production-checks.md)
        tasks.connect_task_logs()  # each task's log lines name it and the request that queued it
