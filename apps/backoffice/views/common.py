"""What every staff screen of the shop shares: permissions, a real 403 page, read-only
viewsets with exact indexed search, POST header buttons, isolated (bidi) columns and the
currency and date filters."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from apps.core.money import CURRENCY_DECIMALS

ISSUE_REFUND = "payments.issue_refund"
APPROVE_REFUND = "payments.approve_refund"


def forbidden(request, reason: str, back_url: str = ""):
    """A real 403 page (Wagtail would turn a PermissionDenied into a redirect home)."""
    return TemplateResponse(request, "backoffice/forbidden.html", {
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

    cell_template_name = "backoffice/bdi_cell.html"


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
