"""Staff admin for payments, refunds and Stripe events: read-only lists (rows change only
through the services and webhooks), the decision on a refund awaiting approval, and re-running
a Stripe event whose handling failed."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log

from apps.backoffice.audit import STRIPE_EVENT_RERUN
from apps.backoffice.forms import RefundDecisionForm
from apps.backoffice.selectors import SearchTerm, normalize_search
from apps.backoffice.views.common import (
    APPROVE_REFUND,
    ISSUE_REFUND,
    BdiColumn,
    CurrencyDateFilterSet,
    ReadOnlyViewSet,
    forbidden,
    post_header_button,
)
from apps.backoffice.views.orders import OrderActionView, send_refund
from apps.core.money import format_money
from apps.orders.models import Order
from apps.payments import webhooks
from apps.payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from apps.payments.services import RefundRefused
from apps.payments.services.refunds import approve_refund, reject_refund


def _order_column(accessor: str, sort_key: str) -> Column:
    return BdiColumn("order", label=gettext_lazy("Order"), accessor=accessor, sort_key=sort_key)


def _stripe_search(queryset: QuerySet, term: SearchTerm, *, intent_field: str,
                   order_field: str) -> QuerySet:
    """Exact lookups only (unique or indexed columns): a PaymentIntent id or an order
    number, as `normalize_search` (shared with the order list) reads it."""
    if term.order_number:
        return queryset.filter(**{order_field: term.order_number})
    return queryset.filter(**{intent_field: term.text})


# --- payments -----------------------------------------------------------------------------


class PaymentFilterSet(CurrencyDateFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=PaymentStatus.choices
    )
    held = django_filters.BooleanFilter(
        label=gettext_lazy("Held for review"), method="filter_held"
    )

    class Meta:
        model = Payment
        fields = ["status", "held", "currency", "created_at"]

    def filter_held(self, queryset, name, value):
        if value is None:
            return queryset
        held = ~Q(review_reason="")
        return queryset.filter(held) if value else queryset.exclude(held)


class PaymentViewSet(ReadOnlyViewSet):
    model = Payment
    icon = "decimal"
    menu_label = gettext_lazy("Payments")
    menu_order = 200
    filterset_class = PaymentFilterSet
    list_display = [
        "stripe_payment_intent_id",
        _order_column("order.number", "order__number"),
        "status",
        Column("amount", label=gettext_lazy("Amount"), sort_key="amount",
               accessor=lambda p: format_money(p.amount, p.currency)),
        Column("amount_refunded", label=gettext_lazy("Refunded"),
               accessor=lambda p: format_money(p.amount_refunded, p.currency)),
        Column("card", label=gettext_lazy("Card"),
               accessor=lambda p: f"{p.card_brand.title()} •••• {p.card_last4}"
               if p.card_last4 else ""),
        Column("created_at", label=gettext_lazy("Created at"), sort_key="created_at"),
    ]
    inspect_view_fields = [
        "order", "status", "amount", "amount_refunded", "currency",
        "stripe_payment_intent_id", "stripe_charge_id", "card_brand", "card_last4",
        "failure_code", "decline_code", "failure_message", "dispute_status", "settlement",
        "review_reason", "review_detail", "flagged_at", "succeeded_at", "created_at",
    ]

    def base_queryset(self) -> QuerySet:
        return Payment.objects.select_related("order")

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        term = normalize_search(query)
        if term.text.startswith(("ch_", "py_")):
            return queryset.filter(stripe_charge_id=term.text)
        return _stripe_search(queryset, term, intent_field="stripe_payment_intent_id",
                              order_field="order__number")


# --- refunds ------------------------------------------------------------------------------


class RefundFilterSet(CurrencyDateFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=RefundStatus.choices
    )

    class Meta:
        model = Refund
        fields = ["status", "currency", "created_at"]


class RefundInspectView(InspectView):
    decide_url_name = None

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if (self.object.status == RefundStatus.AWAITING_APPROVAL
                and self.request.user.has_perm(APPROVE_REFUND)):
            buttons.append(HeaderButton(
                _("Approve or reject"), icon_name="tasks",
                url=reverse(self.decide_url_name, args=[self.object.pk]),
            ))
        return buttons


class RefundDecisionView(OrderActionView):
    """A manager approves (then it goes to Stripe at once) or rejects a refund awaiting
    approval. The requester cannot approve their own (the service refuses it)."""

    template_name = "backoffice/refund_decision.html"
    header_icon = "tasks"

    def dispatch(self, request, pk):
        self.refund = get_object_or_404(
            Refund.objects.select_related("payment__order", "requested_by"), pk=pk
        )
        self.order = self.refund.payment.order
        if not request.user.has_perm(APPROVE_REFUND):
            return forbidden(request, _("You do not have permission to approve refunds."),
                             self.order_url)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return _("Refund awaiting approval")

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data(
            refund=self.refund, order=self.order, order_url=self.order_url,
            form=RefundDecisionForm(), action_url=request.path,
            awaiting=self.refund.status == RefundStatus.AWAITING_APPROVAL,
            own=self.refund.requested_by_id == request.user.pk,
        ))

    def post(self, request, pk):
        form = RefundDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose to approve or reject the refund."))
            return redirect(request.path)
        amount = format_money(self.refund.amount, self.refund.currency)
        try:
            if form.cleaned_data["decision"] == "approve":
                refund = approve_refund(refund_id=self.refund.pk, approver=request.user)
            else:
                refund = reject_refund(refund_id=self.refund.pk, approver=request.user,
                                       note=form.cleaned_data["note"])
        except RefundRefused as exc:
            messages.error(request, str(exc))
            return redirect(self.order_url)
        if refund.status == RefundStatus.REJECTED:
            messages.success(request, _("The refund of %(amount)s was rejected; nothing was "
                                        "sent to Stripe.") % {"amount": amount})
        else:
            messages.success(request, _("The refund of %(amount)s was approved.")
                             % {"amount": amount})
            send_refund(request, refund, self.order)
        return redirect(self.order_url)


class RefundViewSet(ReadOnlyViewSet):
    model = Refund
    icon = "resubmit"
    menu_label = gettext_lazy("Refunds")
    menu_order = 300
    filterset_class = RefundFilterSet
    inspect_view_class = RefundInspectView
    list_display = [
        "created_at",
        _order_column("payment.order.number", "payment__order__number"),
        Column("amount", label=gettext_lazy("Amount"), sort_key="amount",
               accessor=lambda r: format_money(r.amount, r.currency)),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("reason", label=gettext_lazy("Reason"), accessor="get_reason_display"),
        Column("requested_by", label=gettext_lazy("Requested by"),
               accessor=lambda r: r.requested_by and r.requested_by.email),
        Column("approved_by", label=gettext_lazy("Approved / rejected by"),
               accessor=lambda r: r.approved_by and r.approved_by.email),
    ]
    inspect_view_fields = [
        "payment", "status", "amount", "currency", "reason", "stripe_reason", "note",
        "restock", "requested_by", "approved_by", "approved_at", "stripe_refund_id", "error",
        "created_at",
    ]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            decide_url_name=self.get_url_name("decide"), **kwargs
        )

    def base_queryset(self) -> QuerySet:
        return Refund.objects.select_related("payment__order", "requested_by", "approved_by")

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        term = normalize_search(query)
        if term.text.startswith("re_"):
            return queryset.filter(stripe_refund_id=term.text)
        return _stripe_search(queryset, term, intent_field="payment__stripe_payment_intent_id",
                              order_field="payment__order__number")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("decide/<int:pk>/", RefundDecisionView.as_view(), name="decide"),
        ]


# --- Stripe events ------------------------------------------------------------------------


class StripeEventFilterSet(WagtailFilterSet):
    type = django_filters.AllValuesFilter(label=gettext_lazy("Event type"))
    failed = django_filters.BooleanFilter(
        label=gettext_lazy("Handling failed"), method="filter_failed"
    )
    received_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Received"), widget=DateRangePickerWidget
    )

    class Meta:
        model = StripeEvent
        fields = ["type", "failed", "received_at"]

    def filter_failed(self, queryset, name, value):
        failed = Q(processed_at__isnull=True) & ~Q(error="")
        if value is None:
            return queryset
        return queryset.filter(failed) if value else queryset.exclude(failed)


def can_rerun_events(user) -> bool:
    return user.is_superuser or user.has_perm(ISSUE_REFUND)


def event_failed(event: StripeEvent) -> bool:
    return event.processed_at is None and bool(event.error)


class StripeEventInspectView(InspectView):
    rerun_url_name = None

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if event_failed(self.object) and can_rerun_events(self.request.user):
            url = reverse(self.rerun_url_name, args=[self.object.pk])
            buttons.append(
                post_header_button(_("Re-run"), icon="rotate", url=url, marker="rerun-button")
            )
        return buttons


class StripeEventRerunView(View):
    """POST: handle a stored Stripe event again (one whose handling failed). Logged in the
    audit trail of the order it is about (or of the event)."""

    inspect_url_name = None

    def post(self, request, pk):
        event = get_object_or_404(StripeEvent, pk=pk)
        if not can_rerun_events(request.user):
            return forbidden(request, _("You do not have permission to re-run Stripe events."))
        result = webhooks.reprocess_event(stripe_event_id=event.stripe_id)
        event.refresh_from_db()
        order = Order.objects.filter(payments__stripe_payment_intent_id=event.payment_intent_id
                                     ).first() if event.payment_intent_id else None
        log(order or event, STRIPE_EVENT_RERUN, user=request.user, data={
            "event": event.stripe_id, "type": event.type,
            "result": f"{result.status_code} {result.detail}",
        })
        if result.status_code < 400 and not event_failed(event):
            messages.success(request, _("Stripe event %(id)s was handled again.")
                             % {"id": event.stripe_id})
        else:
            messages.error(request, _("Stripe event %(id)s failed again: %(error)s") % {
                "id": event.stripe_id, "error": event.error or result.detail,
            })
        return redirect(reverse(self.inspect_url_name, args=[event.pk]))


class StripeEventViewSet(ReadOnlyViewSet):
    model = StripeEvent
    icon = "code"
    menu_label = gettext_lazy("Stripe events")
    menu_order = 400
    filterset_class = StripeEventFilterSet
    inspect_view_class = StripeEventInspectView
    title_label = gettext_lazy("Event")
    list_display = [
        "stripe_id",
        Column("type", label=gettext_lazy("Type"), sort_key="type"),
        BdiColumn("payment_intent_id", label=gettext_lazy("PaymentIntent")),
        Column("received_at", label=gettext_lazy("Received at"), sort_key="received_at"),
        Column("processed_at", label=gettext_lazy("Handled at"), sort_key="processed_at"),
        Column("failed", label=gettext_lazy("Handling failed"),
               accessor=lambda e: _("Yes") if event_failed(e) else ""),
    ]
    inspect_view_fields = [
        "stripe_id", "type", "payment_intent_id", "livemode", "api_version", "received_at",
        "processed_at", "error", "payload",
    ]

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        text = normalize_search(query).text
        if text.startswith("evt_"):
            return queryset.filter(stripe_id=text)
        return queryset.filter(payment_intent_id=text)

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            rerun_url_name=self.get_url_name("rerun"), **kwargs
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("rerun/<int:pk>/", StripeEventRerunView.as_view(
                inspect_url_name=self.get_url_name("inspect")), name="rerun"),
        ]
