"""Staff admin for payments, refunds and Stripe events: read-only lists (rows change only
through the services and webhooks), the decision on a refund awaiting approval, and re-running
a Stripe event whose handling failed."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log

from apps.backoffice.audit import STRIPE_EVENT_RERUN
from apps.backoffice.forms import RefundDecisionForm
from apps.backoffice.selectors import SearchTerm, normalize_search
from apps.backoffice.views.common import (
    APPROVE_REFUND,
    EMPTY,
    ISSUE_REFUND,
    BdiColumn,
    CurrencyDateFilterSet,
    ReadOnlyViewSet,
    ShopInspectView,
    decision_offered,
    forbidden,
    isolated,
    link,
    local_time,
    order_column,
    order_url,
    own_request,
    person,
    post_header_button,
)
from apps.backoffice.views.orders import OrderActionView, send_refund
from apps.core.money import format_money
from apps.orders.models import DisputeStatus, Order
from apps.payments import webhooks
from apps.payments.messages import failure_message
from apps.payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from apps.payments.services import RefundRefused
from apps.payments.services.refunds import approve_refund, reject_refund
from apps.payments.services.review import reported_text


def payment_url(payment_id: int) -> str:
    return reverse("shop_payments:inspect", args=[payment_id])


def refund_url(refund_id: int) -> str:
    return reverse("shop_refunds:inspect", args=[refund_id])


def card_of(payment) -> str:
    """"Visa •••• 4242", or "" before a card was tried."""
    if not payment.card_last4:
        return ""
    return f"{payment.card_brand.title()} •••• {payment.card_last4}".strip()


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


class PaymentInspectView(ShopInspectView):
    """A payment: its order, Stripe ids, amounts with their currency, card, last failure,
    dispute, settlement and review, and its refunds."""

    kind_label = pgettext_lazy("admin page", "Payment")
    money_fields = frozenset({"amount", "amount_refunded"})
    labels = {
        "order": gettext_lazy("Order"),
        "card": gettext_lazy("Card"),
        "failure": gettext_lazy("Last failure"),
        "succeeded_at": gettext_lazy("Paid at"),
        "refunds": gettext_lazy("Refunds"),
    }

    def get_object(self, queryset=None):
        return get_object_or_404(Payment.objects.select_related("order"), pk=self.pk)

    def get_order_display_value(self):
        return link(order_url(self.object.order_id), self.object.order.number)

    def get_card_display_value(self):
        return isolated(card_of(self.object))

    def get_failure_display_value(self):
        return failure_of(self.object)

    def get_dispute_status_display_value(self):
        return DisputeStatus.label_of(self.object.dispute_status) or EMPTY

    def get_review_facts_display_value(self):
        if not self.object.review_reason:
            return EMPTY
        return isolated(reported_text(self.object.review_facts))

    def get_refunds_display_value(self):
        refunds = list(self.object.refunds.all())
        if not refunds:
            return EMPTY
        return format_html_join(mark_safe("<br>"), "{} · {}", (
            (link(refund_url(refund.pk), format_money(refund.amount, refund.currency)),
             refund.get_status_display())
            for refund in refunds
        ))


def failure_of(payment) -> str:
    """The last failure as the customer was told it (in the reader's language), with
    Stripe's codes; "—" when nothing failed."""
    codes = [code for code in (payment.failure_code, payment.decline_code) if code]
    if not codes:
        return EMPTY
    return format_html("{} ({})", failure_message(payment.failure_code, payment.decline_code),
                       isolated(" · ".join(codes)))


class PaymentViewSet(ReadOnlyViewSet):
    model = Payment
    icon = "decimal"
    menu_label = gettext_lazy("Payments")
    menu_order = 200
    filterset_class = PaymentFilterSet
    inspect_view_class = PaymentInspectView
    list_display = [
        "stripe_payment_intent_id",
        order_column(number="order.number", order_id="order_id", sort_key="order__number"),
        "status",
        Column("amount", label=gettext_lazy("Amount"), sort_key="amount",
               accessor=lambda p: format_money(p.amount, p.currency)),
        Column("amount_refunded", label=gettext_lazy("Refunded"),
               accessor=lambda p: format_money(p.amount_refunded, p.currency)),
        BdiColumn("card", label=gettext_lazy("Card"), accessor=card_of),
        Column("created_at", label=gettext_lazy("Created at"), sort_key="created_at"),
    ]
    inspect_view_fields = [
        "order", "stripe_payment_intent_id", "status", "amount", "amount_refunded", "refunds",
        "card", "stripe_charge_id", "failure", "dispute_status", "settlement",
        "review_reason", "review_facts", "flagged_at", "succeeded_at", "created_at",
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


class RefundInspectView(ShopInspectView):
    """A refund: its order and payment (linked), amount with its currency, reasons, who
    asked and who decided, Stripe's refund id and error."""

    kind_label = pgettext_lazy("admin page", "Refund")
    money_fields = frozenset({"amount"})
    decide_url_name = None
    labels = {
        "order": gettext_lazy("Order"),
        "approved_by": gettext_lazy("Approved / rejected by"),
        "approved_at": gettext_lazy("Approved / rejected at"),
        "created_at": pgettext_lazy("refund", "Requested at"),
    }

    def get_object(self, queryset=None):
        return get_object_or_404(
            Refund.objects.select_related("payment__order", "requested_by", "approved_by"),
            pk=self.pk,
        )

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        offered = decision_offered(self.object, self.request.user)
        if offered:
            buttons.append(HeaderButton(
                _("Approve or reject") if offered == "decide" else _("Withdraw my request"),
                icon_name="tasks", url=reverse(self.decide_url_name, args=[self.object.pk]),
                attrs={"data-decide-button": offered},
            ))
        return buttons

    def get_order_display_value(self):
        order = self.object.payment.order
        return link(order_url(order.pk), order.number)

    def get_payment_display_value(self):
        payment = self.object.payment
        return link(payment_url(payment.pk), payment.stripe_payment_intent_id)


class RefundDecisionView(OrderActionView):
    """A manager approves (then it goes to Stripe at once) or rejects someone else's refund
    awaiting approval; the staff member who asked for it may only withdraw it (the services
    refuse an approval of one's own request)."""

    template_name = "backoffice/refund_decision.html"
    header_icon = "tasks"

    def dispatch(self, request, pk):
        self.refund = get_object_or_404(
            Refund.objects.select_related("payment__order", "requested_by"), pk=pk
        )
        self.order = self.refund.payment.order
        self.own = own_request(self.refund, request.user)
        if not self.own and not request.user.has_perm(APPROVE_REFUND):
            return forbidden(request, _("You do not have permission to approve refunds."),
                             self.order_url)
        # Its own permission rule (the requester may withdraw): not OrderActionView's.
        return self.dispatch_allowed(request, pk)

    def get_page_title(self):
        if self.own:
            return _("Your refund request")
        return _("Refund awaiting approval")

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data(
            refund=self.refund, order=self.order, order_url=self.order_url,
            form=RefundDecisionForm(), action_url=request.path,
            awaiting=self.refund.status == RefundStatus.AWAITING_APPROVAL,
            own=self.own, requested_by=person(self.refund.requested_by),
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
        if refund.status == RefundStatus.REJECTED and self.own:
            messages.success(request, _("You withdrew your request to refund %(amount)s; "
                                        "nothing was sent to Stripe.") % {"amount": amount})
        elif refund.status == RefundStatus.REJECTED:
            messages.success(request, _("The refund of %(amount)s was rejected; nothing was "
                                        "sent to Stripe.") % {"amount": amount})
        else:
            messages.success(request, _("Refund approved (%(amount)s).") % {"amount": amount})
            send_refund(request, refund, self.order)
        return redirect(self.order_url)


class RefundViewSet(ReadOnlyViewSet):
    model = Refund
    icon = "resubmit"
    menu_label = gettext_lazy("Refunds")
    menu_order = 300
    filterset_class = RefundFilterSet
    inspect_view_class = RefundInspectView
    # The first column links to the refund; its own label (not the order's "Placed at").
    title_label = pgettext_lazy("refund", "Requested at")
    list_display = [
        "created_at",
        order_column(number="payment.order.number", order_id="payment.order_id",
                     sort_key="payment__order__number"),
        Column("amount", label=gettext_lazy("Amount"), sort_key="amount",
               accessor=lambda r: format_money(r.amount, r.currency)),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("reason", label=gettext_lazy("Reason"), accessor="get_reason_display"),
        BdiColumn("requested_by", label=gettext_lazy("Requested by"),
                  accessor=lambda r: r.requested_by and r.requested_by.email),
        BdiColumn("approved_by", label=gettext_lazy("Approved / rejected by"),
                  accessor=lambda r: r.approved_by and r.approved_by.email),
    ]
    inspect_view_fields = [
        "order", "payment", "status", "amount", "reason", "stripe_reason", "note",
        "restock", "requested_by", "created_at", "approved_by", "approved_at",
        "stripe_refund_id", "error",
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


class StripeEventInspectView(ShopInspectView):
    """A Stripe event as received: its ids and type (Stripe's own), the payment and order it
    is about (linked), when it was received and handled, the error, and the JSON payload."""

    kind_label = gettext_lazy("Stripe event")
    rerun_url_name = None
    labels = {
        "stripe_id": gettext_lazy("Event"),
        "type": gettext_lazy("Event type"),
        "order": gettext_lazy("Order"),
        "livemode": gettext_lazy("Live mode"),
        "api_version": gettext_lazy("API version"),
        "received_at": gettext_lazy("Received at"),
        "processed_at": gettext_lazy("Handled at"),
        "error": gettext_lazy("Handling error"),
        "payload": gettext_lazy("Event data"),
    }

    @cached_property
    def payment(self) -> Payment | None:
        intent = self.object.payment_intent_id
        if not intent:
            return None
        return Payment.objects.select_related("order").filter(
            stripe_payment_intent_id=intent).first()

    def get_page_subtitle(self):
        return self.object.stripe_id

    def get_payment_intent_id_display_value(self):
        intent = self.object.payment_intent_id
        if self.payment is not None:
            return link(payment_url(self.payment.pk), intent)
        return isolated(intent)

    def get_order_display_value(self):
        if self.payment is None:
            return EMPTY
        return link(order_url(self.payment.order_id), self.payment.order.number)

    def get_processed_at_display_value(self):
        if self.object.processed_at is None and self.object.error:
            return _("Handling failed")
        return local_time(self.object.processed_at)

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
        "stripe_id", "type", "payment_intent_id", "order", "livemode", "api_version",
        "received_at", "processed_at", "error", "payload",
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
