"""Staff admin for e-mail records: what was sent to whom, what the provider reported, and
"Resend" for a message that did not reach its reader (failed, rejected, or unknown after a
worker crash)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView

from apps.backoffice.selectors import normalize_search
from apps.backoffice.views.common import (
    ISSUE_REFUND,
    BdiColumn,
    ReadOnlyViewSet,
    forbidden,
    post_header_button,
)
from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.services import RESENDABLE_STATUSES, EmailResendRefused, resend_email


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


def order_link_column(label) -> Column:
    return BdiColumn("order", label=label, accessor="order.number", sort_key="order__number")


def can_resend(user) -> bool:
    """Like re-running a Stripe event: staff who may issue refunds, or a superuser."""
    return user.is_superuser or user.has_perm(ISSUE_REFUND)


class EmailRecordInspectView(InspectView):
    resend_url_name = None

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
        order_link_column(gettext_lazy("Order")),
        BdiColumn("to", label=gettext_lazy("Recipients"),
                  accessor=lambda record: ", ".join(record.to or [])),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("created_at", label=gettext_lazy("Queued at"), sort_key="created_at"),
        Column("sent_at", label=gettext_lazy("Sent at"), sort_key="sent_at"),
    ]
    inspect_view_fields = [
        "order", "kind", "cause", "to", "language", "subject", "status", "attempts",
        "last_error", "provider", "provider_message_id", "created_at", "sent_at",
        "last_event_at", "resent_by", "resent_at",
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
