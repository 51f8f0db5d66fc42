from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.emails"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        # anymail hands tracking webhooks (delivered, bounced, ...) to us only through its
        # `tracking` signal: one receiver, which calls the service.
        from anymail.signals import tracking

        tracking.connect(_on_tracking_event, dispatch_uid="apps.emails.tracking")


def _on_tracking_event(sender, event, esp_name, **kwargs) -> None:
    from apps.emails.services import record_tracking_event

    record_tracking_event(event=event, esp_name=esp_name)
