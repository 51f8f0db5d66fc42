from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.core.address import City


class ShippingZone(models.Model):
    """Shipping price for a set of cities; the default zone covers every other city."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    cities = models.JSONField(_("cities"), default=list, blank=True)
    rate = models.DecimalField(_("shipping price"), max_digits=12, decimal_places=3)
    free_above = models.DecimalField(
        _("free shipping from"), max_digits=12, decimal_places=3, null=True, blank=True,
        help_text=_("Order subtotal from which shipping is free. Empty: never free."),
    )
    is_default = models.BooleanField(
        _("default zone"), default=False, help_text=_("Used for cities no other zone lists.")
    )
    # Working days from payment to the door, promised on the success page and the order.
    delivery_days_min = models.PositiveSmallIntegerField(_("delivery from (working days)"),
                                                         default=2)
    delivery_days_max = models.PositiveSmallIntegerField(_("delivery up to (working days)"),
                                                         default=5)

    class Meta:
        verbose_name = _("shipping zone")
        verbose_name_plural = _("shipping zones")
        ordering = ["-is_default", "name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_zone"
            ),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="shipping_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "ar").startswith("en") else self.name_ar

    def city_labels(self) -> list[str]:
        labels = dict(City.choices)
        return [str(labels.get(code, code)) for code in self.cities]
