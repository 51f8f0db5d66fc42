"""Staff screens for what the shop sells and what shipping costs."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from apps.backoffice.forms import ShippingZoneForm
from apps.catalog.models import Product
from apps.pricing.models import ShippingZone


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
    form_fields = ["name_ar", "name_en", "cities", "rate", "free_above", "is_default"]
    icon = "globe"
    menu_label = _("Shipping zones")
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["name_ar", "name_en", "rate", "free_above", "is_default"]

    def get_form_class(self, for_update=False):
        return ShippingZoneForm
