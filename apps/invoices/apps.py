from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    """Saudi tax documents: the simplified tax invoice of every paid order, a credit note for
    every refund of it, a debit note reversing a credit note whose refund failed."""

    name = "apps.invoices"
    verbose_name = _("Tax invoices")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.invoices import checks  # noqa: F401 - registers the seller details check
