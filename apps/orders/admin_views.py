"""Staff admin for orders (Wagtail 8 `ModelViewSet`): the list with its exact, indexed search
and filters, the order page with its one timeline, and the refund form with its confirmation
step. Business rules stay in `apps.payments.services`; these views validate input with Django
forms, call the services and say what happened."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from apps.core.money import CURRENCY_DECIMALS, format_money
from apps.orders.admin_forms import RefundForm
from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import (
    CLOSED_DISPUTE_STATUSES,
    admin_orders,
    dispute_label,
    order_payments,
    order_timeline,
    refundable_payment,
    search_orders,
)
from apps.payments.models import PaymentStatus, RefundStatus

ISSUE_REFUND = "payments.issue_refund"
APPROVE_REFUND = "payments.approve_refund"


def forbidden(request, reason: str, back_url: str = ""):
    """A real 403 page (Wagtail would turn a PermissionDenied into a redirect home)."""
    return TemplateResponse(request, "orders/admin/forbidden.html", {
        "reason": reason, "back_url": back_url, "header_title": _("Permission denied"),
        "page_title": _("Permission denied"), "header_icon": "lock",
    }, status=403)


def currency_choices() -> list[tuple[str, str]]:
    shop = settings.SHOP_CURRENCY
    return [(shop, shop)] + [(code, code) for code in sorted(CURRENCY_DECIMALS) if code != shop]


def post_header_button(label, *, icon: str, url: str, marker: str) -> HeaderButton:
    """A header button that POSTs to `url` (Wagtail's w-action controller), for actions
    such as resending an e-mail or re-running a Stripe event. `marker` names a data
    attribute tests and styles can find it by."""
    return HeaderButton(
        label, icon_name=icon, url=url,
        attrs={"data-controller": "w-action", "data-action": "w-action#post",
               "data-w-action-url-value": url, f"data-{marker}": ""},
    )


class CurrencyDateFilterSet(WagtailFilterSet):
    """Currency and creation-date filters shared by the payments and refunds lists; each
    subclass adds its own `status` filter and Meta."""

    currency = django_filters.ChoiceFilter(
        label=gettext_lazy("Currency"), choices=currency_choices
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Created"), widget=DateRangePickerWidget
    )


class BdiColumn(Column):
    """Phone numbers, e-mail addresses and ids: isolated so they never scramble in Arabic."""

    cell_template_name = "orders/admin/bdi_cell.html"


def money_column(name: str, label, amount: str = "amount") -> Column:
    return Column(
        name, label=label, sort_key=amount,
        accessor=lambda obj: format_money(getattr(obj, amount), obj.currency),
    )


# --- read-only viewsets -------------------------------------------------------------------


class ExactSearchIndexView(IndexView):
    """An index whose search is a function doing exact lookups on indexed columns (the
    viewset's `search`), instead of `icontains` over every row."""

    search = None  # (queryset, query) -> queryset
    base_queryset = None  # () -> queryset
    title_label = None  # label of the first (linked) column, if not the field's own

    @cached_property
    def columns(self):
        columns = super().columns
        if self.title_label:
            columns[0].label = self.title_label
        return columns

    def get_base_queryset(self) -> QuerySet:
        if self.base_queryset is not None:
            return self.base_queryset()
        return super().get_base_queryset()

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        return self.search(queryset, self.search_query)


class ReadOnlyViewSet(ModelViewSet):
    """List, search, filter and inspect; nothing is added, edited or deleted here (rows change
    only through the services)."""

    index_view_class = ExactSearchIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    search_fields = ["pk"]  # shows the search box; the search itself is `search`
    list_per_page = 25
    title_label = None

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        raise NotImplementedError

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(add_url_name=None, edit_url_name=None, delete_url_name=None)
        view_kwargs.pop("copy_url_name", None)
        return view_kwargs

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            search=self.search, base_queryset=self.base_queryset,
            title_label=self.title_label, **kwargs
        )

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().filter(codename__startswith="view_")

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("history/<int:pk>/", self.history_view, name="history"),
            path("history-results/<int:pk>/", self.history_results_view,
                 name="history_results"),
        ]


# --- orders -------------------------------------------------------------------------------


class OrderFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Order status"), choices=OrderStatus.choices
    )
    # The newest payment's status (annotated by `admin_orders`).
    payment_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Payment status"), choices=PaymentStatus.choices
    )
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Placed"), widget=DateRangePickerWidget
    )
    currency = django_filters.ChoiceFilter(
        label=gettext_lazy("Currency"), choices=currency_choices
    )
    open_dispute = django_filters.BooleanFilter(
        label=gettext_lazy("Open dispute"), method="filter_open_dispute"
    )

    class Meta:
        model = Order
        fields = ["status", "payment_status", "created_at", "currency"]

    def filter_open_dispute(self, queryset, name, value):
        if value is None:
            return queryset
        is_open = ~Q(dispute_status="") & ~Q(dispute_status__in=CLOSED_DISPUTE_STATUSES)
        return queryset.filter(is_open) if value else queryset.exclude(is_open)


def _payment_status_label(order: Order) -> str:
    if not getattr(order, "payment_status", None):
        return "—"
    return str(dict(PaymentStatus.choices).get(order.payment_status, order.payment_status))


class OrderInspectView(InspectView):
    """The order page: what was bought, paid and refunded, and one timeline of everything
    that happened to it."""

    template_name = "orders/admin/order_inspect.html"
    refund_url_name = None
    decide_url_name = None

    def get_object(self, queryset=None):
        return get_object_or_404(Order.objects.select_related("user"), pk=self.pk)

    def get_page_subtitle(self):
        return self.object.number

    def get_page_title(self):
        return _("Order")

    @cached_property
    def payments(self):
        return order_payments(self.object)

    @cached_property
    def refundable(self) -> Decimal:
        return sum((summary.refundable for summary in self.payments), Decimal("0"))

    def can_refund(self) -> bool:
        return self.request.user.has_perm(ISSUE_REFUND) and self.refundable > 0

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if self.can_refund():
            buttons.append(HeaderButton(
                _("Refund"), url=reverse(self.refund_url_name, args=[self.object.pk]),
                icon_name="resubmit", attrs={"data-refund-button": ""},
            ))
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        refunds = [refund for summary in self.payments
                   for refund in summary.payment.refunds.all()]
        context.update(
            order=order,
            order_dispute_label=dispute_label(order.dispute_status),
            lines=list(order.lines.all()),
            payments=self.payments,
            refunds=refunds,
            refunded=sum((s.refunded for s in self.payments), Decimal("0")),
            refundable=self.refundable,
            can_refund=self.can_refund(),
            can_approve=self.request.user.has_perm(APPROVE_REFUND),
            awaiting_approval=RefundStatus.AWAITING_APPROVAL,
            decide_url_name=self.decide_url_name,
            timeline=order_timeline(order),
        )
        return context


class OrderActionView(WagtailAdminTemplateMixin, View):
    """A staff page acting on one order (`self.order`, set in `dispatch`): the order number as
    subtitle, breadcrumbs Orders > order > this page."""

    index_url_name = "shop_orders:index"
    inspect_url_name = "shop_orders:inspect"
    order: Order

    @property
    def order_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.order.pk])

    def get_page_subtitle(self):
        return self.order.number

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": _("Orders")},
            {"url": self.order_url, "label": self.order.number},
            {"url": "", "label": self.get_page_title()},
        ]


class OrderRefundView(OrderActionView):
    """Refund form -> confirmation ("Refund 150.00 SAR of order GE-…?") -> refund.

    Both steps carry the form's own idempotency key, so a double click or a resubmitted
    confirmation is one refund at Stripe."""

    template_name = "orders/admin/refund_form.html"
    confirm_template_name = "orders/admin/refund_confirm.html"
    header_icon = "resubmit"

    def dispatch(self, request, pk):
        self.order = get_object_or_404(Order, pk=pk)
        if not request.user.has_perm(ISSUE_REFUND):
            return forbidden(request, _("You do not have permission to refund orders."),
                             self.order_url)
        self.summary = refundable_payment(self.order)
        if self.summary is None or self.summary.refundable <= 0:
            messages.error(request, _("Order %(number)s has nothing left to refund.")
                           % {"number": self.order.number})
            return redirect(self.order_url)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return _("Refund")

    def make_form(self, data=None) -> RefundForm:
        payment = self.summary.payment
        return RefundForm(data, currency=payment.currency, refundable=self.summary.refundable)

    def render(self, template: str, form: RefundForm, status: int = 200):
        payment = self.summary.payment
        context = self.get_context_data(
            form=form, order=self.order, payment=payment, summary=self.summary,
            order_url=self.order_url, action_url=self.request.path,
        )
        if form.is_bound and form.is_valid():
            context["confirm_title"] = _("Refund %(amount)s of order %(number)s?") % {
                "amount": format_money(form.cleaned_data["amount"], payment.currency),
                "number": self.order.number,
            }
        return self.response_class(
            request=self.request, template=[template], context=context, status=status,
            using=self.template_engine,
        )

    def get(self, request, pk):
        return self.render(self.template_name, self.make_form())

    def post(self, request, pk):
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render(self.template_name, form, status=400)
        if "edit" in request.POST:
            return self.render(self.template_name, form)
        if "confirm" not in request.POST:
            return self.render(self.confirm_template_name, form)
        return self.refund(form)

    def refund(self, form: RefundForm):
        from apps.payments.services import PaymentNotPossible, request_refund

        data = form.cleaned_data
        try:
            refund = request_refund(
                payment_id=self.summary.payment.pk,
                amount=data["amount"],
                stripe_reason=data["stripe_reason"],
                note=data["note"],
                restock=data["restock"],
                requested_by=self.request.user,
                idempotency_key=str(data["idempotency_key"]),
            )
        except PaymentNotPossible as exc:
            messages.error(self.request, str(exc))
            return redirect(self.request.path)
        if refund.status == RefundStatus.AWAITING_APPROVAL:
            messages.warning(self.request, _(
                "The refund of %(amount)s is above the approval limit: it is awaiting "
                "approval by a manager. Nothing has been sent to Stripe yet."
            ) % {"amount": format_money(refund.amount, refund.currency)})
            return redirect(self.order_url)
        send_refund(self.request, refund, self.order)
        return redirect(self.order_url)


def send_refund(request, refund, order: Order) -> None:
    """Send a refund to Stripe now, so the staff member sees Stripe's answer."""
    from apps.payments import gateway
    from apps.payments.services import execute_refund

    amount = format_money(refund.amount, refund.currency)
    try:
        refund = execute_refund(refund_id=refund.pk)
    except gateway.PaymentGatewayError as exc:
        messages.error(request, _(
            "Stripe could not be reached (%(error)s). Nothing has been refunded yet; the shop "
            "tries again automatically."
        ) % {"error": exc})
        return
    if refund.status == RefundStatus.FAILED:
        messages.error(request, _("Stripe refused the refund of %(amount)s: %(error)s") % {
            "amount": amount, "error": refund.error or _("no reason given"),
        })
    elif refund.status == RefundStatus.SUCCEEDED:
        messages.success(request, _("Refunded %(amount)s of order %(number)s.") % {
            "amount": amount, "number": order.number,
        })
    else:
        messages.success(request, _(
            "The refund of %(amount)s was sent to Stripe; it is pending until Stripe "
            "confirms it."
        ) % {"amount": amount})


class OrderViewSet(ReadOnlyViewSet):
    model = Order
    icon = "clipboard-list"
    menu_label = gettext_lazy("Orders")
    menu_order = 100
    inspect_view_class = OrderInspectView
    filterset_class = OrderFilterSet
    list_per_page = 50

    list_display = [
        "number",
        Column("created_at", label=gettext_lazy("Placed at"), sort_key="created_at"),
        BdiColumn("email", label=gettext_lazy("Customer e-mail")),
        BdiColumn("phone", label=gettext_lazy("Mobile")),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("payment_status", label=gettext_lazy("Payment"),
               accessor=_payment_status_label),
        Column("total", label=gettext_lazy("Total"), sort_key="total",
               accessor=lambda order: format_money(order.total, order.currency)),
    ]

    def base_queryset(self) -> QuerySet:
        return admin_orders()

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        return search_orders(queryset, query)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            refund_url_name=self.get_url_name("refund"),
            decide_url_name="shop_refunds:decide",
            **kwargs,
        )

    @property
    def refund_view(self):
        return OrderRefundView.as_view(
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("refund/<int:pk>/", self.refund_view, name="refund"),
        ]
