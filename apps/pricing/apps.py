from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    """What an order costs: shipping zones, VAT and the totals of a cart or an order."""

    name = "apps.pricing"
    label = "pricing"
    verbose_name = _("Pricing and shipping")
