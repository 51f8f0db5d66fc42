from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from apps.orders.address import City
from apps.orders.models import ShippingZone


class ShippingZoneForm(forms.ModelForm):
    cities = forms.MultipleChoiceField(
        label=_("Cities"), choices=City.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ShippingZone
        fields = ["name_ar", "name_en", "cities", "rate", "free_above", "is_default"]


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


@hooks.register("register_admin_viewset")
def register_shipping_zone_viewset():
    return ShippingZoneViewSet("shipping_zones")
