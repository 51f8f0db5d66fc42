from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The staff's Wagtail admin for the shop: every admin view, form, hook, menu and
    template, and the read models behind them (order timeline, dashboard, payment
    summaries). It calls the domain apps' services; no domain app imports it."""

    name = "apps.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # Wagtail's account page asks for a last name before it saves anything, the admin
        # language included; many people have one name, so it may stay empty here.
        from wagtail.admin.forms.account import NameEmailForm

        NameEmailForm.base_fields["last_name"].required = False
