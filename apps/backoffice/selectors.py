"""Staff read models: the search every staff list shares, the order list's rows, each
order's payments with their refund figures, and the dashboard's overview. Each costs a fixed
number of queries, however many orders there are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Lower
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from apps.core.address import normalize_saudi_mobile
from apps.core.text import to_ascii_digits
from apps.orders.models import DisputeStatus, Order, OrderStatus
from apps.payments.metrics import (
    PaymentMetrics,
    orders_with_open_dispute,
    payment_success_rate,
)
from apps.payments.models import (
    PAID_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    Settlement,
)
from apps.payments.services.refund_reports import RefundFigures, refund_figures

_PHONE_INPUT = re.compile(r"^[+\-().0-9]+$")
# Stripe object ids: PaymentIntent, charge.
_STRIPE_ID = re.compile(r"^(pi|ch|py)_[A-Za-z0-9_]+$")

# What a copied value may carry invisibly: LRM/RLM, bidi embeddings/overrides and isolates
# (an RTL admin wraps numbers and ids in them).
_BIDI_MARKS = dict.fromkeys(
    [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


@dataclass(frozen=True)
class SearchTerm:
    """What staff typed in a search box, normalised once for every staff list."""

    text: str  # no bidi marks, no spaces, ASCII digits
    order_number: str | None  # "GE-2026-000001" when it reads as an order number


def normalize_search(query: str | None) -> SearchTerm:
    """The one normaliser of the staff searches (orders, payments, refunds): drops bidi
    marks and spaces, turns Arabic-Indic digits into ASCII, and reads an order number
    however it is typed: "GE-2026-000001", "GE 2026 000001", "ge2026000001", "ge-2026-1",
    or without the prefix as "2026-000001"."""
    raw = to_ascii_digits((query or "").translate(_BIDI_MARKS)).strip()
    text = "".join(raw.split())
    prefix = settings.ORDER_NUMBER_PREFIX.upper()
    number = None
    match = re.fullmatch(rf"{re.escape(prefix)}[\s-]*(\d{{4}})[\s-]*(\d{{1,6}})", raw,
                         re.IGNORECASE) or re.fullmatch(r"(\d{4})[\s-]+(\d{1,6})", raw)
    if match:
        number = f"{prefix}-{match[1]}-{int(match[2]):06d}"
    return SearchTerm(text=text, order_number=number)


def admin_orders() -> QuerySet[Order]:
    """Orders for the staff list: the newest payment's status beside each order (one
    subquery, no query per row)."""
    newest = Payment.objects.filter(order=OuterRef("pk")).order_by("-created_at", "-pk")
    return Order.objects.annotate(
        payment_status=Subquery(newest.values("status")[:1]),
    )


def search_orders(queryset: QuerySet[Order], query: str) -> QuerySet[Order]:
    """What staff type in the order search: an order number, an e-mail address, a mobile
    number (any way of writing it) or a Stripe PaymentIntent / charge id, normalised by
    `normalize_search`.

    Only exact lookups on indexed columns (number, LOWER(email), phone, the payment's
    PaymentIntent or charge id): no `LIKE '%…%'`, so the search stays fast with any number
    of orders."""
    term = normalize_search(query)
    text = term.text
    if not text:
        return queryset
    if _STRIPE_ID.match(text):
        payments = Payment.objects.filter(
            Q(stripe_payment_intent_id=text) | Q(stripe_charge_id=text)
            if text.startswith(("ch_", "py_"))
            else Q(stripe_payment_intent_id=text)
        )
        return queryset.filter(pk__in=payments.values("order_id"))
    if "@" in text:
        return queryset.alias(email_lower=Lower("email")).filter(email_lower=text.lower())
    condition = Q(number=text.upper())
    if term.order_number:
        condition |= Q(number=term.order_number)
    if _PHONE_INPUT.match(text):
        try:
            condition |= Q(phone=normalize_saudi_mobile(text))
        except ValidationError:
            pass
    return queryset.filter(condition)


@dataclass(frozen=True)
class PaymentSummary:
    """A payment as the order page shows it, with its refund figures (the refund rules' own
    `refund_figures`)."""

    payment: Payment
    figures: RefundFigures

    @property
    def refunded(self) -> Decimal:
        """Confirmed by Stripe."""
        return self.figures.refunded

    @property
    def in_progress(self) -> Decimal:
        """Requested, awaiting approval or waiting for Stripe."""
        return self.figures.in_flight

    @property
    def refundable(self) -> Decimal:
        return self.figures.left

    @property
    def dispute_label(self) -> str:
        return DisputeStatus.label_of(self.payment.dispute_status)


def order_payments(order: Order) -> list[PaymentSummary]:
    """The order's payments, newest first, with their refunds and who asked for and decided
    each (two queries)."""
    return [
        PaymentSummary(payment=payment, figures=refund_figures(payment, payment.refunds.all()))
        for payment in Payment.objects.filter(order=order).prefetch_related(Prefetch(
            "refunds", queryset=Refund.objects.select_related("requested_by", "approved_by")
        ))
    ]


def refundable_payment(order: Order) -> PaymentSummary | None:
    """The payment staff refund from: the one that paid the order (`settlement` PAID_ORDER)
    while something is left on it; else any paid payment with something left (e.g. a
    duplicate whose automatic refund failed); else the paying one (nothing left). An order
    paid twice has two paid payments: the newest is usually the duplicate, already refunded
    automatically. None when nothing was paid."""
    paid = [summary for summary in order_payments(order) if summary.payment.is_paid]

    def rank(summary: PaymentSummary) -> tuple[bool, bool]:
        return (summary.refundable > 0,
                summary.payment.settlement == Settlement.PAID_ORDER)

    return max(paid, key=rank, default=None)


@dataclass(frozen=True)
class ShopOverview:
    paid_today: int
    revenue_today: list[tuple[str, Decimal]]  # (currency, amount)
    success_rate: Decimal | None  # percent over the last 7 days; None without attempts
    attempts_week: int
    awaiting_retry: int
    refunds_awaiting_approval: int
    open_disputes: int
    open_disputes_by_status: list[tuple[str, int]]  # (label, orders)
    payments_held: int  # success reports that did not match their order (services.review)


def paid_today(*, now: datetime | None = None) -> tuple[int, list[tuple[str, Decimal]]]:
    """Orders whose payment arrived today (shop time zone) and the money they brought. Only
    payments that paid their order count: a duplicate payment refunded automatically (or
    money that came too late for a cancelled order) is no revenue."""
    now = timezone.localtime(now or timezone.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    paid = Payment.objects.filter(
        status__in=PAID_STATUSES, settlement=Settlement.PAID_ORDER,
        succeeded_at__gte=start, succeeded_at__lte=now,
    )
    rows = list(
        paid.values("currency")
        .annotate(total=Sum("amount"), orders=Count("order", distinct=True))
        .order_by("currency")
    )
    return sum(row["orders"] for row in rows), [(row["currency"], row["total"]) for row in rows]


def orders_awaiting_retry() -> QuerySet[Order]:
    """Orders still awaiting payment whose newest payment failed (the customer may retry)."""
    return admin_orders().filter(
        status=OrderStatus.PENDING_PAYMENT, payment_status=PaymentStatus.FAILED
    )


def refunds_awaiting_approval():
    return Refund.objects.filter(status=RefundStatus.AWAITING_APPROVAL)


def shop_overview(*, now: datetime | None = None) -> ShopOverview:
    count, revenue = paid_today(now=now)
    rate, attempts = payment_success_rate(now=now)
    disputes = list(
        orders_with_open_dispute().values("dispute_status").annotate(orders=Count("pk"))
        .order_by("dispute_status")
    )
    return ShopOverview(
        paid_today=count, revenue_today=revenue, success_rate=rate, attempts_week=attempts,
        awaiting_retry=orders_awaiting_retry().count(),
        refunds_awaiting_approval=refunds_awaiting_approval().count(),
        open_disputes=sum(row["orders"] for row in disputes),
        open_disputes_by_status=[
            (DisputeStatus.label_of(row["dispute_status"]), row["orders"]) for row in disputes
        ],
        payments_held=payments_held_for_review().count(),
    )


def payments_held_for_review() -> QuerySet[Payment]:
    return Payment.objects.exclude(review_reason="")



def payment_chart(figures: PaymentMetrics) -> dict:
    """The dashboard chart's data (Chart.js reads it from a json_script): each day's paid and
    failed card attempts over the window, labelled in the admin's language; in Arabic the
    days run from right to left."""
    return {
        "labels": [formats.date_format(row.day, "j M") for row in figures.daily],
        "series": [
            {"label": str(_("Paid")), "data": [row.succeeded for row in figures.daily]},
            {"label": str(_("Failed")), "data": [row.failed for row in figures.daily]},
        ],
        "rtl": translation.get_language_bidi(),
        "title": str(_("Card payments per day, last %(days)s days") % {"days": figures.days}),
    }
