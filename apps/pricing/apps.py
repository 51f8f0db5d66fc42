from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    """What an order costs: shipping zones, VAT and the totals of a cart or an order."""

    name = "apps.pricing"
    label = "pricing"
    verbose_name = _("Pricing and shipping")

    def ready(self) -> None:
        # Shipping prices are shown on catalog pages: a zone changed in the admin or by code
        # invalidates them in the page cache (apps.catalog.cache).
        from django.db.models.signals import post_delete, post_save

        from apps.catalog.cache import SHIPPING
        from apps.core.pagecache import bump
        from apps.pricing.models import ShippingZone

        def zones_changed(sender, **kwargs) -> None:
            bump([SHIPPING])

        post_save.connect(zones_changed, sender=ShippingZone, weak=False,
                          dispatch_uid="pricing.zones.saved")
        post_delete.connect(zones_changed, sender=ShippingZone, weak=False,
                            dispatch_uid="pricing.zones.deleted")
