"""Staff admin for orders (Wagtail 8 `ModelViewSet`): the list with its exact, indexed search
and filters, the order page with its one timeline, and the refund form with its confirmation
step. Business rules stay in the payments services; these views validate input with Django
forms, call the services and say what happened."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from apps.backoffice.forms import RefundForm, ShipmentForm
from apps.backoffice.selectors import (
    admin_orders,
    order_payments,
    refundable_payment,
    search_orders,
)
from apps.backoffice.timeline import order_timeline
from apps.backoffice.views.common import (
    ISSUE_REFUND,
    BdiColumn,
    ReadOnlyViewSet,
    currency_choices,
    decision_offered,
    email_address,
    forbidden,
    language_name,
    post_header_button,
)
from apps.core.money import format_money
from apps.emails.notifications import order_shipped
from apps.invoices.views import render_document
from apps.orders.models import DisputeStatus, Order, OrderStatus, Shipment
from apps.orders.services import ShippingError, mark_delivered, mark_shipped, may_move
from apps.payments import gateway
from apps.payments.models import PaymentStatus, RefundStatus
from apps.payments.services import PaymentNotPossible
from apps.payments.services.refunds import execute_refund, request_refund

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
        is_open = ~Q(dispute_status="") & ~Q(dispute_status__in=DisputeStatus.closed())
        return queryset.filter(is_open) if value else queryset.exclude(is_open)


def _payment_status_label(order: Order) -> str:
    if not getattr(order, "payment_status", None):
        return "—"
    return str(dict(PaymentStatus.choices).get(order.payment_status, order.payment_status))


class OrderInspectView(InspectView):
    """The order page: what was bought, paid and refunded, and one timeline of everything
    that happened to it."""

    template_name = "backoffice/order_inspect.html"
    refund_url_name = None
    decide_url_name = None
    document_url_name = None

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
        order = self.object
        shipment = Shipment.objects.filter(order=order).first()
        if self.request.user.has_perm(SHIP_ORDER):
            if shipment is None and may_move(order.status, OrderStatus.FULFILLED):
                buttons.append(HeaderButton(
                    _("Mark shipped"), url=reverse("shop_orders:ship", args=[order.pk]),
                    icon_name="site", attrs={"data-ship-button": ""},
                ))
            elif shipment is not None and shipment.delivered_at is None:
                buttons.append(post_header_button(
                    _("Mark delivered"), icon="tick",
                    url=reverse("shop_orders:deliver", args=[order.pk]), marker="deliver-button",
                ))
        if self.can_refund():
            buttons.append(HeaderButton(
                _("Refund"), url=reverse(self.refund_url_name, args=[self.object.pk]),
                icon_name="resubmit", attrs={"data-refund-button": ""},
            ))
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        user = self.request.user
        refunds = [
            {"refund": refund, "offered": decision_offered(refund, user),
             "requested_by": email_address(refund.requested_by.email)
             if refund.requested_by else "",
             "approved_by": email_address(refund.approved_by.email)
             if refund.approved_by else ""}
            for summary in self.payments for refund in summary.payment.refunds.all()
        ]
        context.update(
            order=order,
            order_dispute_label=DisputeStatus.label_of(order.dispute_status),
            customer_email=email_address(order.email),
            account_email=email_address(order.user.email) if order.user else "",
            order_language=language_name(order.language),
            lines=list(order.lines.all()),
            payments=self.payments,
            refunds=refunds,
            refunded=sum((s.refunded for s in self.payments), Decimal("0")),
            refundable=self.refundable,
            can_refund=self.can_refund(),
            decide_url_name=self.decide_url_name,
            timeline=order_timeline(order),
            tax_documents=list(order.tax_documents.all()),
            shipment=Shipment.objects.filter(order=order).first(),
            document_url_name=self.document_url_name,
        )
        return context


class OrderActionView(WagtailAdminTemplateMixin, View):
    """A staff page acting on one order (`self.order`, set in `dispatch`): the order number as
    subtitle, breadcrumbs Orders > order > this page."""

    index_url_name = "shop_orders:index"
    inspect_url_name = "shop_orders:inspect"
    order: Order
    # The permission the action needs, and what staff without it are told.
    permission = ""
    permission_denied_message = ""

    def dispatch(self, request, pk):
        self.order = get_object_or_404(Order, pk=pk)
        if not request.user.has_perm(self.permission):
            return forbidden(request, self.permission_denied_message, self.order_url)
        return self.dispatch_allowed(request, pk)

    def dispatch_allowed(self, request, pk):
        return super().dispatch(request, pk)

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


SHIP_ORDER = "orders.ship_order"


class OrderShipView(OrderActionView):
    """"Mark shipped": the carrier, tracking number and link; the order moves to shipped and
    the customer gets the bilingual shipping e-mail with the tracking link."""

    template_name = "backoffice/ship_form.html"
    header_icon = "site"
    permission = SHIP_ORDER
    permission_denied_message = gettext_lazy("You do not have permission to ship orders.")

    def get_page_title(self):
        return _("Mark shipped")

    def render(self, form: ShipmentForm, status: int = 200):
        context = self.get_context_data(form=form, order=self.order, order_url=self.order_url,
                                        action_url=self.request.path)
        return self.response_class(request=self.request, template=[self.template_name],
                                   context=context, status=status, using=self.template_engine)

    def get(self, request, pk):
        return self.render(ShipmentForm())

    def post(self, request, pk):
        form = ShipmentForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            with transaction.atomic():
                shipment = mark_shipped(order_id=self.order.pk, actor=request.user,
                                        **form.cleaned_data)
                order_shipped(Order.objects.get(pk=self.order.pk), shipment)
        except ShippingError as error:
            messages.error(request, str(error))
            return redirect(self.order_url)
        messages.success(request, _("Order %(number)s is marked shipped; the customer is told "
                                    "by e-mail.") % {"number": self.order.number})
        return redirect(self.order_url)


def deliver_order(request, pk: int):
    """"Mark delivered" (POST from the order page's header button)."""
    order = get_object_or_404(Order, pk=pk)
    order_url = reverse("shop_orders:inspect", args=[order.pk])
    if request.method != "POST":
        return redirect(order_url)
    if not request.user.has_perm(SHIP_ORDER):
        return forbidden(request, _("You do not have permission to ship orders."), order_url)
    try:
        mark_delivered(order_id=order.pk, actor=request.user)
    except ShippingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Order %(number)s is marked delivered.")
                         % {"number": order.number})
    return redirect(order_url)


class OrderRefundView(OrderActionView):
    """Refund form -> confirmation ("Refund 150.00 SAR of order GE-…?") -> refund.

    Both steps carry the form's own idempotency key, so a double click or a resubmitted
    confirmation is one refund at Stripe."""

    template_name = "backoffice/refund_form.html"
    confirm_template_name = "backoffice/refund_confirm.html"
    header_icon = "resubmit"
    permission = ISSUE_REFUND
    permission_denied_message = gettext_lazy("You do not have permission to refund orders.")

    def dispatch_allowed(self, request, pk):
        self.summary = refundable_payment(self.order)
        if self.summary is None or self.summary.refundable <= 0:
            messages.error(request, _("Order %(number)s has nothing left to refund.")
                           % {"number": self.order.number})
            return redirect(self.order_url)
        return super().dispatch_allowed(request, pk)

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
            document_url_name=self.get_url_name("document"),
            **kwargs,
        )

    @property
    def refund_view(self):
        return OrderRefundView.as_view(
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
        )

    @property
    def document_view(self):
        permission = self.permission_policy

        def view(request, pk: int, number: str):
            # Whoever may see the order in the admin may see its tax documents.
            if not permission.user_has_any_permission(request.user, ["view", "change"]):
                raise PermissionDenied
            order = get_object_or_404(Order, pk=pk)
            return render_document(request, order, number,
                                   back_url=reverse(self.get_url_name("inspect"), args=[pk]))

        return view

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("refund/<int:pk>/", self.refund_view, name="refund"),
            path("documents/<int:pk>/<str:number>/", self.document_view, name="document"),
            path("ship/<int:pk>/", OrderShipView.as_view(
                index_url_name=self.get_url_name("index"),
                inspect_url_name=self.get_url_name("inspect")), name="ship"),
            path("deliver/<int:pk>/", deliver_order, name="deliver"),
        ]
