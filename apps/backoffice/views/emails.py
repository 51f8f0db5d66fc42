"""Staff admin for e-mail records: what was sent to whom, what the provider reported, and
"Resend" for a message that did not reach its reader (failed, rejected, or unknown after a
worker crash)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column

from apps.backoffice.selectors import normalize_search
from apps.backoffice.views.common import (
    EMPTY,
    ISSUE_REFUND,
    BdiColumn,
    ReadOnlyViewSet,
    ShopInspectView,
    email_address,
    email_addresses,
    forbidden,
    isolated,
    language_name,
    link,
    local_time,
    order_column,
    order_url,
    post_header_button,
    text_block,
)
from apps.core.money import format_money
from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.services import RESENDABLE_STATUSES, EmailResendRefused, resend_email
from apps.payments.models import Payment, Refund


class EmailRecordFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=EmailStatus.choices
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Message"), choices=EmailKind.choices)
    created_at = django_filters.DateFromToRangeFilter(
        label=pgettext_lazy("e-mail date filter", "Queued"), widget=DateRangePickerWidget
    )

    class Meta:
        model = EmailRecord
        fields = ["status", "kind", "created_at"]


def can_resend(user) -> bool:
    """Like re-running a Stripe event: staff who may issue refunds, or a superuser."""
    return user.is_superuser or user.has_perm(ISSUE_REFUND)


def cause_of(record: EmailRecord):
    """Why the message was sent, in words, linked to what caused it: "payment:<id>",
    "refund:<id>", "review:<payment id>", "dispute:<Stripe id>", or a failed attempt's key
    ("charge:<id>", "<PaymentIntent>:pm:…")."""
    kind, _sep, key = record.cause.partition(":")
    if kind in {"payment", "review"} and key.isdigit():
        payment = Payment.objects.filter(pk=key).first()
        if payment is not None:
            label = _("Payment") if kind == "payment" else _("Payment held for review")
            return format_html("{} {}", label, link(
                reverse("shop_payments:inspect", args=[payment.pk]),
                payment.stripe_payment_intent_id))
    if kind == "refund" and key.isdigit():
        refund = Refund.objects.filter(pk=key).first()
        if refund is not None:
            return format_html("{} {}", pgettext("e-mail kind", "Refund"), link(
                reverse("shop_refunds:inspect", args=[refund.pk]),
                format_money(refund.amount, refund.currency)))
    if kind == "dispute":
        return format_html("{} {}", _("Dispute"), isolated(key))
    if kind == "charge" or ":pm:" in record.cause:
        return format_html("{} {}", _("Payment attempt"), isolated(key if kind == "charge"
                                                                  else kind))
    return isolated(record.cause)


class EmailRecordInspectView(ShopInspectView):
    """An e-mail record: the order (linked), the message and why it was sent, recipients,
    language, subject as sent, status and the provider's tracking events, times local."""

    kind_label = pgettext_lazy("admin page", "E-mail")
    resend_url_name = None
    labels = {"events": gettext_lazy("Provider events")}

    def get_object(self, queryset=None):
        return get_object_or_404(
            EmailRecord.objects.select_related("order", "resent_by"), pk=self.pk
        )

    def get_order_display_value(self):
        return link(order_url(self.object.order_id), self.object.order.number)

    def get_cause_display_value(self):
        return cause_of(self.object)

    def get_to_display_value(self):
        return email_addresses(self.object.to)

    def get_language_display_value(self):
        return language_name(self.object.language)

    def get_subject_display_value(self):
        return text_block(self.object.subject)

    def get_events_display_value(self):
        labels = dict(EmailStatus.choices)
        events = list(self.object.events.all())
        if not events:
            return EMPTY
        return format_html_join(mark_safe("<br>"), "{} · {}{}", (
            (labels.get(event.event_type, event.event_type), local_time(event.occurred_at),
             format_html(" · {}", email_address(event.recipient)) if event.recipient else "")
            for event in events
        ))

    def get_header_buttons(self):
        buttons = list(super().get_header_buttons())
        if self.object.status in RESENDABLE_STATUSES and can_resend(self.request.user):
            url = reverse(self.resend_url_name, args=[self.object.pk])
            buttons.append(
                post_header_button(_("Resend"), icon="mail", url=url, marker="resend-button")
            )
        return buttons


class EmailResendView(View):
    """POST: queue a failed, rejected or unknown message to be sent again (after staff
    checked the provider's log for an unknown one). Logged on the order's audit trail."""

    inspect_url_name = None

    def post(self, request, pk):
        record = get_object_or_404(EmailRecord, pk=pk)
        back = reverse(self.inspect_url_name, args=[record.pk])
        if not can_resend(request.user):
            return forbidden(request, _("You do not have permission to resend e-mails."), back)
        try:
            resend_email(record.pk, actor=request.user)
        except EmailResendRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The e-mail to %(to)s is queued to be sent again.")
                             % {"to": ", ".join(record.to or [])})
        return redirect(back)


class EmailRecordViewSet(ReadOnlyViewSet):
    model = EmailRecord
    icon = "mail"
    menu_label = gettext_lazy("E-mails")
    menu_order = 500
    filterset_class = EmailRecordFilterSet
    inspect_view_class = EmailRecordInspectView
    list_display = [
        "kind",
        order_column(number="order.number", order_id="order_id", sort_key="order__number"),
        BdiColumn("to", label=gettext_lazy("Recipients"),
                  accessor=lambda record: ", ".join(record.to or [])),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("created_at", label=gettext_lazy("Queued at"), sort_key="created_at"),
        Column("sent_at", label=gettext_lazy("Sent at"), sort_key="sent_at"),
    ]
    inspect_view_fields = [
        "order", "kind", "cause", "to", "language", "subject", "status", "attempts",
        "last_error", "provider", "provider_message_id", "created_at", "sent_at",
        "events", "last_event_at", "next_attempt_at", "resent_by", "resent_at",
    ]

    def base_queryset(self) -> QuerySet:
        return EmailRecord.objects.select_related("order")

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        """Order number or the provider's message id, exactly."""
        term = normalize_search(query)
        if term.order_number:
            return queryset.filter(order__number=term.order_number)
        return queryset.filter(provider_message_id=query.strip())

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            resend_url_name=self.get_url_name("resend"), **kwargs
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("resend/<int:pk>/", EmailResendView.as_view(
                inspect_url_name=self.get_url_name("inspect")), name="resend"),
        ]
