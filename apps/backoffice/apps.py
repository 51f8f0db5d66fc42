from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The staff's Wagtail admin for the shop: every admin view, form, hook, menu and
    template, and the read models behind them (order timeline, dashboard, payment
    summaries). It calls the domain apps' services; no domain app imports it."""

    name = "apps.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")
