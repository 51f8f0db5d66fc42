"""The shop's place in the Wagtail admin: the "Shop" menu, products and shipping zones, the
dashboard panel, the admin stylesheet and the audit-log actions."""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.search import SearchArea
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet

from apps.backoffice.audit import (
    REFUND_ACTIONS,
    SIMPLE_ACTIONS,
    PaymentHeldFormatter,
    RefundLogFormatter,
)
from apps.backoffice.selectors import payment_chart, shop_overview
from apps.backoffice.views.catalog import ProductViewSet, ShippingZoneViewSet
from apps.backoffice.views.emails import EmailRecordViewSet
from apps.backoffice.views.orders import OrderViewSet
from apps.backoffice.views.payments import PaymentViewSet, RefundViewSet, StripeEventViewSet
from apps.payments.audit import PAYMENT_HELD
from apps.payments.messages import failure_message
from apps.payments.metrics import WINDOWS, payment_metrics

register_snippet(ProductViewSet)


class OrderSearchArea(SearchArea):
    """The admin's search (sidebar, dashboard) finds orders for every staff member who may
    see them; Wagtail's pages area stays for those who may edit pages."""

    def __init__(self):
        super().__init__(_("Orders"), reverse("shop_orders:index"), name="orders",
                         icon_name="clipboard-list", order=50)

    def is_shown(self, request):
        return request.user.has_perm("orders.view_order")


@hooks.register("register_admin_search_area")
def register_order_search_area():
    return OrderSearchArea()


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
    template_name = "backoffice/dashboard_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        orders = reverse("shop_orders:index")
        return {
            "overview": shop_overview(),
            "orders_url": orders,
            "retry_url": f"{orders}?status=pending_payment&payment_status=failed",
            "disputes_url": f"{orders}?open_dispute=true",
            "approval_url": reverse("shop_refunds:index") + "?status=awaiting_approval",
            "held_url": reverse("shop_payments:index") + "?held=true",
        }


class PaymentFiguresPanel(Component):
    """Dashboard: the payment figures ops watch (apps.payments.metrics), over the last 7 and
    30 days side by side, and a chart of each day's payments (Chart.js, vendored)."""

    name = "payment_figures"
    template_name = "backoffice/payment_figures_panel.html"
    order = 60

    def get_context_data(self, parent_context):
        week, month = (payment_metrics(days=days) for days in WINDOWS)
        return {
            "windows": [week, month],
            # Each decline code with what the shopper was told (a tooltip for staff).
            "reason_columns": [
                (figures, [(code, count, failure_message(code, code))
                           for code, count in figures.failure_reasons])
                for figures in (week, month)
            ],
            "chart": payment_chart(month),
            "chart_js": static("vendor/chartjs/chart.umd.min.js"),
            "chart_setup_js": static("js/admin-payment-chart.js"),
        }


@hooks.register("construct_homepage_panels")
def add_shop_overview_panel(request, panels):
    if request.user.has_perm("orders.view_order"):
        panels.insert(0, ShopOverviewPanel())
        panels.insert(1, PaymentFiguresPanel())


@hooks.register("insert_global_admin_css")
def shop_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))


@hooks.register("register_log_actions")
def register_shop_log_actions(actions):
    for action, label, message in REFUND_ACTIONS:
        actions.register_action(action)(
            type("RefundLogFormatter", (RefundLogFormatter,), {"label": label, "message": message})
        )
    for action, label, message in SIMPLE_ACTIONS:
        actions.register_action(action, label, message)
    actions.register_action(PAYMENT_HELD)(PaymentHeldFormatter)
