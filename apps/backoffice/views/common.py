"""What every staff screen of the shop shares: permissions, a real 403 page, read-only
viewsets with exact indexed search, inspect pages that show words (not Python values), POST
header buttons, isolated (bidi) and linked columns, and the currency and date filters."""

from __future__ import annotations

import json

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.coreutils import multigetattr

from apps.core.money import CURRENCY_DECIMALS, format_money
from apps.payments.models import RefundStatus

ISSUE_REFUND = "payments.issue_refund"
APPROVE_REFUND = "payments.approve_refund"


def own_request(refund, user) -> bool:
    """The staff member asked for this refund themselves: they may withdraw it, never
    approve it (the refund services refuse that too)."""
    return refund.requested_by_id is not None and refund.requested_by_id == user.pk


def decision_offered(refund, user) -> str:
    """What `user` is offered on a refund awaiting approval: "decide" (approve or reject
    someone else's request, with `payments.approve_refund`), "withdraw" (their own request)
    or "" (nothing)."""
    if refund.status != RefundStatus.AWAITING_APPROVAL:
        return ""
    if own_request(refund, user):
        return "withdraw"
    return "decide" if user.has_perm(APPROVE_REFUND) else ""


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


class LinkColumn(BdiColumn):
    """An isolated value linking to another screen, e.g. an order number to the order page.
    `get_url(row)` gives the link (or "" for none)."""

    cell_template_name = "backoffice/link_cell.html"

    def __init__(self, *args, get_url, **kwargs):
        super().__init__(*args, **kwargs)
        self._get_url = get_url

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = self._get_url(instance)
        return context


def order_url(order_id: int) -> str:
    return reverse("shop_orders:inspect", args=[order_id])


def order_column(*, number: str, order_id: str, sort_key: str) -> LinkColumn:
    """The order number, linked to the order page. `number` and `order_id` are accessors
    ("payment.order.number", "payment.order_id")."""
    return LinkColumn(
        "order", label=gettext_lazy("Order"), accessor=number, sort_key=sort_key,
        get_url=lambda row: order_url(multigetattr(row, order_id)),
    )


# --- showing values -----------------------------------------------------------------------

EMPTY = "—"


def local_time(value) -> str:
    """A stored time as staff read it: in the shop's time zone, in their language's format."""
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def yes_no(value) -> str:
    return _("Yes") if value else _("No")


def money(amount, currency: str) -> SafeString:
    """An amount with its currency, as `format_money` writes it, isolated."""
    if amount is None or amount == "":
        return EMPTY
    return format_html("<bdi>{}</bdi>", format_money(amount, currency))


def isolated(value) -> SafeString | str:
    """An id, number or code shown as it is, isolated so it never scrambles in Arabic."""
    return format_html("<bdi>{}</bdi>", value) if value not in (None, "") else EMPTY


def link(url: str, text) -> SafeString:
    return format_html('<a href="{}"><bdi>{}</bdi></a>', url, text)


def email_address(address: str) -> SafeString | str:
    """An e-mail address that wraps only before its "@" (never in the middle of a word)."""
    if not address:
        return EMPTY
    local, at, domain = address.rpartition("@")
    if not at:
        return format_html('<bdi class="shop-email"><span>{}</span></bdi>', address)
    return format_html('<bdi class="shop-email"><span>{}</span><wbr><span>@{}</span></bdi>',
                       local, domain)


def email_addresses(addresses) -> SafeString | str:
    if isinstance(addresses, str):
        addresses = [addresses]
    shown = [(email_address(address),) for address in addresses or [] if address]
    return format_html_join(", ", "{}", shown) if shown else EMPTY


def person(user) -> SafeString | str:
    """A staff member: their name (if any) and e-mail address."""
    if user is None:
        return EMPTY
    name = user.get_full_name()
    if not name:
        return email_address(user.email)
    return format_html("{} · {}", name, email_address(user.email))


def language_name(code: str) -> str:
    """"ar" -> "Arabic", in the reader's language."""
    if not code:
        return EMPTY
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def json_block(value) -> SafeString:
    """Stored JSON (a Stripe event's payload), indented, left to right."""
    return format_html('<pre class="shop-json" dir="ltr" data-json-payload>{}</pre>',
                       json.dumps(value, indent=2, ensure_ascii=False))


def text_block(value: str) -> SafeString | str:
    """Free text as it was written or recorded (a note, an error), its lines kept."""
    if not value:
        return EMPTY
    return format_html('<span class="shop-text" dir="auto">{}</span>', value)


# --- inspect pages ------------------------------------------------------------------------


class ShopInspectView(InspectView):
    """An inspect page staff can read: its title says what it is ("Refund"), its subtitle
    whose it is (the order number), and every field is shown in words: a choice by its
    label, a boolean as Yes / No, a time in the shop's time zone, an amount with its
    currency (`money_fields`), a staff member by name and e-mail, nothing as "—".

    A field that needs more (a link, several model fields at once) has a
    `get_<field>_display_value` method, as Wagtail's InspectView allows; fields that are not
    model fields, or whose verbose name does not say it to staff, have a label in `labels`."""

    template_name = "backoffice/inspect.html"
    kind_label = None  # the page title
    labels: dict = {}
    money_fields: frozenset[str] = frozenset()

    def get_page_title(self):
        return self.kind_label or super().get_page_title()

    def get_page_subtitle(self):
        return subtitle_of(self.object)

    def get_field_label(self, field_name, field):
        if field_name in self.labels:
            return self.labels[field_name]
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        shown = getattr(self, f"get_{field_name}_display_value", None)
        value = shown() if callable(shown) else self.display(field_name, field)
        return EMPTY if value is None or value == "" else value

    def display(self, field_name: str, field):
        value = getattr(self.object, field_name)
        if isinstance(field, models.BooleanField):
            return yes_no(value)
        if value is None or value == "" or value == []:
            return EMPTY
        if field is not None and field.choices:
            return getattr(self.object, f"get_{field_name}_display")()
        if isinstance(field, models.DateTimeField):
            return local_time(value)
        if field_name in self.money_fields:
            return money(value, self.object.currency)
        if isinstance(field, models.ForeignKey) and field.related_model is get_user_model():
            return person(value)
        if isinstance(field, models.TextField):
            return text_block(value)
        if isinstance(field, models.JSONField):
            return json_block(value)
        if isinstance(field, models.CharField):
            return isolated(value)
        return value


def subtitle_of(obj) -> str:
    """What a staff page is about: the number of the object's order (or of the order
    itself), else the object's Stripe id."""
    payment = getattr(obj, "payment", None)
    order = getattr(obj, "order", None) or getattr(payment, "order", None)
    if order is not None:
        return order.number
    return str(getattr(obj, "number", "") or getattr(obj, "stripe_id", "") or obj.pk)


class ShopHistoryView(HistoryView):
    """The audit trail of a row: staff who may see the row may read it (Wagtail asks for an
    edit permission; nothing is edited here), with the subtitle of its inspect page, which
    its breadcrumb and header button lead back to."""

    any_permission_required = ["view"]
    inspect_url_name = None

    def get_page_subtitle(self):
        return subtitle_of(self.object)

    def get_edit_url(self, instance):
        # Nothing is edited here: the breadcrumb above "History" leads to the inspect page.
        return reverse(self.inspect_url_name, args=[instance.pk])

    @cached_property
    def header_buttons(self):
        return [HeaderButton(_("Inspect"), url=self.get_edit_url(self.object),
                             icon_name="info-circle")]


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
    inspect_view_class = ShopInspectView
    history_view_class = ShopHistoryView
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
