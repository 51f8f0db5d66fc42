"""Staff screens for what the shop sells and what shipping costs."""

from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from apps.backoffice.forms import ShippingZoneForm
from apps.backoffice.views.common import EMPTY, BdiColumn, yes_no
from apps.catalog.models import Product
from apps.core.money import format_money
from apps.pricing.models import ShippingZone


def _label(field: str):
    """A shipping zone field's own (translated) name, as a column label."""
    return capfirst(ShippingZone._meta.get_field(field).verbose_name)


def _shop_money(amount) -> str:
    """Shipping prices are in the shop's currency."""
    return EMPTY if amount is None else format_money(amount, settings.SHOP_CURRENCY)


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products (price & stock)")
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["sku", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku"]


class ShippingZoneViewSet(ModelViewSet):
    model = ShippingZone
    form_fields = ["name_ar", "name_en", "cities", "rate", "free_above", "is_default",
                   "delivery_days_min", "delivery_days_max"]
    icon = "globe"
    menu_label = _("Shipping zones")
    add_to_admin_menu = True
    menu_order = 210
    list_display = [
        "name_ar",
        BdiColumn("name_en", label=_label("name_en")),
        Column("rate", label=_label("rate"), sort_key="rate",
               accessor=lambda zone: _shop_money(zone.rate)),
        Column("free_above", label=_label("free_above"),
               accessor=lambda zone: _shop_money(zone.free_above)),
        Column("is_default", label=_label("is_default"),
               accessor=lambda zone: yes_no(zone.is_default)),
    ]

    def get_form_class(self, for_update=False):
        return ShippingZoneForm
