"""Staff admin for e-mail records: what was sent to whom, and what the provider reported."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column

from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.orders.admin_views import BdiColumn, ReadOnlyViewSet


class EmailRecordFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=EmailStatus.choices
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Message"), choices=EmailKind.choices)
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Queued"), widget=DateRangePickerWidget
    )

    class Meta:
        model = EmailRecord
        fields = ["status", "kind", "created_at"]


def order_link_column(label) -> Column:
    return BdiColumn("order", label=label, accessor="order.number", sort_key="order__number")


class EmailRecordViewSet(ReadOnlyViewSet):
    model = EmailRecord
    icon = "mail"
    menu_label = gettext_lazy("E-mails")
    menu_order = 500
    filterset_class = EmailRecordFilterSet
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
        "last_event_at",
    ]

    def base_queryset(self) -> QuerySet:
        return EmailRecord.objects.select_related("order")

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        """Order number or the provider's message id, exactly."""
        text = query.strip()
        if text.upper().startswith("GE-"):
            return queryset.filter(order__number=text.upper())
        return queryset.filter(provider_message_id=text)
