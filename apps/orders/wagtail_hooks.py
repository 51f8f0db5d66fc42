from django import forms
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from apps.emails.admin_views import EmailRecordViewSet
from apps.orders.address import City
from apps.orders.admin_views import OrderViewSet
from apps.orders.models import ShippingZone
from apps.orders.selectors import shop_overview
from apps.payments.admin_views import (
    PaymentViewSet,
    RefundViewSet,
    StripeEventViewSet,
)


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


class ShopViewSetGroup(ViewSetGroup):
    """One "Shop" menu: orders, payments, refunds, Stripe events and e-mails."""

    menu_label = _("Shop")
    menu_icon = "clipboard-list"
    menu_order = 150
    items = (
        OrderViewSet("shop_orders"),
        PaymentViewSet("shop_payments"),
        RefundViewSet("shop_refunds"),
        StripeEventViewSet("shop_stripe_events"),
        EmailRecordViewSet("shop_emails"),
    )


@hooks.register("register_admin_viewset")
def register_shop_viewsets():
    return ShopViewSetGroup()



class ShopOverviewPanel(Component):
    """Dashboard: today's paid orders and revenue, payment success over 7 days, and what
    needs staff: failed payments awaiting retry, refunds awaiting approval, open disputes."""

    name = "shop_overview"
    template_name = "orders/admin/dashboard_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        orders = reverse("shop_orders:index")
        return {
            "overview": shop_overview(),
            "orders_url": orders,
            "retry_url": f"{orders}?status=pending_payment&payment_status=failed",
            "disputes_url": f"{orders}?open_dispute=true",
            "approval_url": reverse("shop_refunds:index") + "?status=awaiting_approval",
        }


@hooks.register("construct_homepage_panels")
def add_shop_overview_panel(request, panels):
    if request.user.has_perm("orders.view_order"):
        panels.insert(0, ShopOverviewPanel())


@hooks.register("insert_global_admin_css")
def shop_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))
