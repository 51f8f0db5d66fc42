import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from apps.core.money import format_money
from apps.core.text import to_ascii_digits
from apps.orders.address import normalize_saudi_mobile
from apps.orders.models import GUEST_LINK_SALT, Order, OrderStatus


def orders_of(user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("lines")


def order_for_customer(*, user, number: str) -> Order | None:
    """A signed-in customer's own order; another customer's order is simply not found."""
    return orders_of(user).filter(number=number).first()


def order_for_guest_token(token: str) -> Order | None:
    try:
        public_id = signing.Signer(salt=GUEST_LINK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Order.objects.prefetch_related("lines").filter(public_id=public_id).first()


# --- staff admin ----------------------------------------------------------------------------
# Read-side queries for the Wagtail admin: the order list, its search, the order page's
# timeline and the dashboard panel. Each costs a fixed number of queries.

_PHONE_INPUT = re.compile(r"^[+\-().0-9]+$")
# Stripe object ids: PaymentIntent, charge.
_STRIPE_ID = re.compile(r"^(pi|ch|py)_[A-Za-z0-9_]+$")
# Dispute statuses that still need the shop's attention (Stripe: won, lost, warning_closed and
# charge_refunded close a dispute).
CLOSED_DISPUTE_STATUSES = ("won", "lost", "warning_closed", "charge_refunded")
# Stripe's dispute statuses, as staff read them.
DISPUTE_STATUS_LABELS = {
    "needs_response": pgettext_lazy("dispute status", "Needs a response"),
    "under_review": pgettext_lazy("dispute status", "Under review"),
    "won": pgettext_lazy("dispute status", "Won"),
    "lost": pgettext_lazy("dispute status", "Lost"),
    "warning_needs_response": pgettext_lazy("dispute status", "Inquiry: needs a response"),
    "warning_under_review": pgettext_lazy("dispute status", "Inquiry under review"),
    "warning_closed": pgettext_lazy("dispute status", "Inquiry closed"),
    "charge_refunded": pgettext_lazy("dispute status", "Closed: charge refunded"),
}


def dispute_label(status: str) -> str:
    """A Stripe dispute status as staff read it ("" for none; an unknown code as it is)."""
    return str(DISPUTE_STATUS_LABELS.get(status, status or ""))


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
    from apps.payments.models import Payment

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
    from apps.payments.models import Payment

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
class TimelineEntry:
    """One line of an order's history: when, what, who."""

    at: datetime
    kind: str  # status | attempt | event | email | refund | staff
    title: str
    detail: str = ""
    actor: str = ""
    failed: bool = False

    @property
    def kind_label(self) -> str:
        return {
            "status": _("Order status"),
            "payment": _("Payment"),
            "attempt": _("Payment attempt"),
            "event": _("Stripe event"),
            "email": _("E-mail"),
            "refund": _("Refund"),
            "staff": _("Staff action"),
        }.get(self.kind, self.kind)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


def order_timeline(order: Order) -> list[TimelineEntry]:
    """Everything that happened to an order, oldest first: status changes, payment attempts,
    Stripe events, e-mails, refunds and staff actions, each with who and when.

    Eight queries, however long the history."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    from apps.emails.models import EmailRecord, EmailStatus
    from apps.payments.models import Payment, PaymentAttempt, Refund, StripeEvent

    system = _("System")
    stripe = "Stripe"
    entries: list[TimelineEntry] = []
    statuses = dict(OrderStatus.choices)

    for change in order.status_changes.select_related("actor"):
        entries.append(TimelineEntry(
            at=change.created_at, kind="status",
            title=_("Status: %(from)s → %(to)s") % {
                "from": statuses.get(change.from_status, change.from_status or "—"),
                "to": statuses.get(change.to_status, change.to_status),
            },
            detail=status_note(change.note), actor=_person(change.actor) or system,
        ))

    payments = list(Payment.objects.filter(order=order).order_by("created_at", "pk"))
    intent_ids = [payment.stripe_payment_intent_id for payment in payments]
    for payment in payments:
        entries.append(TimelineEntry(
            at=payment.created_at, kind="payment",
            title=_("Payment started: %(amount)s") % {
                "amount": format_money(payment.amount, payment.currency)
            },
            detail=payment.stripe_payment_intent_id, actor=_("Customer"),
        ))
    for attempt in PaymentAttempt.objects.filter(payment__order=order).order_by("created_at"):
        card = " ".join(filter(None, [attempt.card_brand.title(),
                                      attempt.card_last4 and f"•••• {attempt.card_last4}"]))
        failure = " ".join(filter(None, [attempt.failure_code, attempt.decline_code]))
        entries.append(TimelineEntry(
            at=attempt.created_at, kind="attempt",
            title=_("Payment attempt: %(status)s") % {"status": attempt.get_status_display()},
            detail=" · ".join(filter(None, [card, failure, attempt.failure_message])),
            actor=_("Customer"), failed=attempt.status == "failed",
        ))

    events = StripeEvent.objects.filter(payment_intent_id__in=intent_ids) if intent_ids else []
    for event in events:
        failed = event.processed_at is None and bool(event.error)
        entries.append(TimelineEntry(
            at=event.received_at, kind="event",
            title=_("Stripe event: %(type)s") % {"type": event.type},
            detail=" · ".join(filter(None, [
                event.stripe_id, _("handling failed") if failed else ""
            ])),
            actor=stripe, failed=failed,
        ))

    email_statuses = dict(EmailStatus.choices)
    records = EmailRecord.objects.filter(order=order).prefetch_related("events")
    for record in records:
        to = ", ".join(record.to) if isinstance(record.to, list) else str(record.to)
        entries.append(TimelineEntry(
            at=record.created_at, kind="email",
            title=_("E-mail “%(kind)s”: %(status)s") % {
                "kind": record.get_kind_display(), "status": record.get_status_display(),
            },
            detail=" · ".join(filter(None, [to, record.last_error])), actor=system,
            failed=record.status in {"failed", "bounced", "rejected", "complained"},
        ))
        for event in record.events.all():
            entries.append(TimelineEntry(
                at=event.occurred_at, kind="email",
                title=_("E-mail “%(kind)s”: %(event)s") % {
                    "kind": record.get_kind_display(),
                    "event": email_statuses.get(event.event_type, event.event_type),
                },
                detail=" · ".join(filter(None, [event.recipient, event.description])),
                actor=record.provider or system,
                failed=event.event_type in {"bounced", "rejected", "complained", "failed"},
            ))

    refunds = Refund.objects.filter(payment__order=order).select_related(
        "requested_by", "approved_by"
    )
    for refund in refunds:
        amount = format_money(refund.amount, refund.currency)
        entries.append(TimelineEntry(
            at=refund.created_at, kind="refund",
            title=_("Refund of %(amount)s requested") % {"amount": amount},
            detail=" · ".join(filter(None, [
                refund.get_reason_display(), refund.note,
                _("awaiting approval") if refund.status == "awaiting_approval" else "",
            ])),
            actor=_person(refund.requested_by) or system,
        ))
        if refund.approved_at is not None:
            rejected = refund.status == "rejected"
            entries.append(TimelineEntry(
                at=refund.approved_at, kind="refund",
                title=(_("Refund of %(amount)s rejected") if rejected
                       else _("Refund of %(amount)s approved")) % {"amount": amount},
                actor=_person(refund.approved_by), failed=rejected,
            ))

    logs = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Order), object_id=str(order.pk)
    ).select_related("user")
    outcome_logged: set[int] = set()
    for log in logs:
        if log.action in _REFUND_LOG_ACTIONS_SHOWN_FROM_REFUNDS:
            continue
        if log.action in _REFUND_OUTCOMES:
            data = log.data or {}
            title, failed = _REFUND_OUTCOMES[log.action]
            if log.action != _REFUND_SENT:
                outcome_logged.add(data.get("refund_id"))
            entries.append(TimelineEntry(
                at=log.timestamp, kind="refund", failed=failed,
                title=title() % {"amount": format_money(data.get("amount"),
                                                        data.get("currency"))},
                detail=str(data.get("error") or ""),
                actor=_person(log.user) or (stripe if log.action != _REFUND_SENT else system),
            ))
            continue
        entries.append(TimelineEntry(
            at=log.timestamp, kind="staff", title=str(log.message),
            detail=_log_detail(log), actor=_person(log.user) or system,
        ))

    # Refunds whose outcome is not in the audit log (older rows): their last update.
    for refund in refunds:
        if refund.pk in outcome_logged or refund.status not in {"succeeded", "failed",
                                                                "canceled"}:
            continue
        title = {
            "succeeded": _("Refund of %(amount)s confirmed by Stripe"),
            "failed": _("Refund of %(amount)s failed"),
            "canceled": _("Refund of %(amount)s canceled"),
        }[refund.status]
        entries.append(TimelineEntry(
            at=refund.updated_at, kind="refund",
            title=title % {"amount": format_money(refund.amount, refund.currency)},
            detail=refund.error, actor=stripe, failed=refund.status != "succeeded",
        ))

    kinds = ["status", "payment", "attempt", "event", "refund", "email", "staff"]
    entries.sort(key=lambda entry: (entry.at, kinds.index(entry.kind)))
    return entries


# Refund audit-log actions (apps/payments/audit.py) whose moment and actor the
# refund rows above already show: listed once, not twice. Sent / confirmed / failed come from
# the log (exact time); "restocked" stays a staff action.
_REFUND_LOG_ACTIONS_SHOWN_FROM_REFUNDS = frozenset({
    "payments.refund.requested",
    "payments.refund.awaiting_approval",
    "payments.refund.approved",
    "payments.refund.rejected",
})


_REFUND_SENT = "payments.refund.sent"
# Refund outcomes from the audit log (exact time, who): title, is it a failure.
_REFUND_OUTCOMES = {
    _REFUND_SENT: (lambda: _("Refund of %(amount)s sent to Stripe"), False),
    "payments.refund.succeeded": (lambda: _("Refund of %(amount)s confirmed by Stripe"), False),
    "payments.refund.failed": (lambda: _("Refund of %(amount)s failed"), True),
}


@cache
def _status_note_patterns():
    """(regex, translated text) for each note the services store on a status change. The
    notes stay in English in the database; the timeline shows them in the staff member's
    language."""
    from apps.orders.services import ORDER_PLACED_NOTE, RESERVATION_EXPIRED_NOTE
    from apps.payments import services as payments

    def pattern(template: str) -> re.Pattern:
        parts = re.split(r"\{(\w+)\}", template)
        return re.compile("".join(
            re.escape(part) if index % 2 == 0 else rf"(?P<{part}>\S+?)"
            for index, part in enumerate(parts)
        ) + "$")

    return [
        (pattern(ORDER_PLACED_NOTE), lambda: _("Order placed")),
        (pattern(RESERVATION_EXPIRED_NOTE), lambda: _("Stock reservation expired")),
        (pattern(payments.PAID_AFTER_EXPIRY_NOTE),
         lambda: _("Paid with Stripe (%(payment_intent)s) after the reservation expired")),
        (pattern(payments.PAID_NOTE), lambda: _("Paid with Stripe (%(payment_intent)s)")),
        (pattern(payments.REFUNDED_NOTE),
         lambda: _("Refunded with Stripe (%(payment_intent)s): %(amount)s in total")),
        (pattern(payments.REFUND_FAILED_NOTE),
         lambda: _("Stripe refund %(refund)s failed after it had succeeded; refunded now: "
                   "%(amount)s")),
    ]


def status_note(note: str) -> str:
    """A stored status-change note in the current language (unknown notes as they are)."""
    for regex, text in _status_note_patterns():
        match = regex.match(note or "")
        if match is None:
            continue
        data = match.groupdict()
        if "amount" in data:
            try:
                data["amount"] = format_money(Decimal(data["amount"]), data.pop("currency"))
            except (ArithmeticError, ValueError):
                return note
        return text() % data
    return note


def _log_detail(log) -> str:
    data = log.data or {}
    return " · ".join(str(data[key]) for key in ("note", "error", "result") if data.get(key))


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


def paid_today(*, now: datetime | None = None) -> tuple[int, list[tuple[str, Decimal]]]:
    """Orders whose payment arrived today (shop time zone) and the money they brought. Only
    payments that paid their order count: a duplicate payment refunded automatically (or
    money that came too late for a cancelled order) is no revenue."""
    from apps.payments.models import PAID_STATUSES, Payment, Settlement

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


def payment_success_rate(
    *, now: datetime | None = None, days: int = 7
) -> tuple[Decimal | None, int]:
    """Succeeded attempts / all attempts over the last `days` days, as a percentage."""
    from apps.payments.models import PaymentAttempt, PaymentStatus

    since = (now or timezone.now()) - timedelta(days=days)
    counts = PaymentAttempt.objects.filter(created_at__gte=since).aggregate(
        total=Count("pk"), succeeded=Count("pk", filter=Q(status=PaymentStatus.SUCCEEDED)),
    )
    if not counts["total"]:
        return None, 0
    rate = Decimal(counts["succeeded"] * 100) / Decimal(counts["total"])
    return rate.quantize(Decimal("0.1")), counts["total"]


def orders_awaiting_retry() -> QuerySet[Order]:
    """Orders still awaiting payment whose newest payment failed (the customer may retry)."""
    return admin_orders().filter(status=OrderStatus.PENDING_PAYMENT, payment_status="failed")


def refunds_awaiting_approval():
    from apps.payments.models import Refund

    return Refund.objects.filter(status="awaiting_approval")


def orders_with_open_dispute() -> QuerySet[Order]:
    return Order.objects.exclude(dispute_status="").exclude(
        dispute_status__in=CLOSED_DISPUTE_STATUSES
    )


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
            (dispute_label(row["dispute_status"]), row["orders"]) for row in disputes
        ],
    )


@dataclass(frozen=True)
class PaymentSummary:
    """A payment as the order page shows it, with what was refunded and what is left."""

    payment: object  # apps.payments.models.Payment
    refunded: Decimal  # confirmed by Stripe
    in_progress: Decimal  # requested, awaiting approval or waiting for Stripe
    refundable: Decimal

    @property
    def dispute_label(self) -> str:
        return dispute_label(self.payment.dispute_status)


def order_payments(order: Order) -> list[PaymentSummary]:
    """The order's payments, newest first, with their refunds (two queries). What is left to
    refund follows the refund rules (apps.payments.services.refundable_amount): amount -
    (max(Stripe's refunded total, succeeded refunds) + refunds in flight); failed, canceled
    and rejected ones never count."""
    from apps.payments.models import Payment, RefundStatus
    from apps.payments.services import IN_FLIGHT_REFUND_STATUSES

    summaries = []
    for payment in Payment.objects.filter(order=order).prefetch_related("refunds"):
        refunds = list(payment.refunds.all())
        succeeded = sum((r.amount for r in refunds if r.status == RefundStatus.SUCCEEDED),
                        Decimal("0"))
        in_flight = sum((r.amount for r in refunds if r.status in IN_FLIGHT_REFUND_STATUSES),
                        Decimal("0"))
        refunded = max(payment.amount_refunded, succeeded)
        refundable = payment.amount - refunded - in_flight
        summaries.append(PaymentSummary(
            payment=payment, refunded=refunded, in_progress=in_flight,
            refundable=max(refundable, Decimal("0")) if payment.is_paid else Decimal("0"),
        ))
    return summaries


def refundable_payment(order: Order) -> PaymentSummary | None:
    """The payment staff refund from: the one that paid the order (`settlement` PAID_ORDER)
    while something is left on it; else any paid payment with something left (e.g. a
    duplicate whose automatic refund failed); else the paying one (nothing left). An order
    paid twice has two paid payments: the newest is usually the duplicate, already refunded
    automatically. None when nothing was paid."""
    from apps.payments.models import Settlement

    paid = [summary for summary in order_payments(order) if summary.payment.is_paid]

    def rank(summary: PaymentSummary) -> tuple[bool, bool]:
        return (summary.refundable > 0,
                summary.payment.settlement == Settlement.PAID_ORDER)

    return max(paid, key=rank, default=None)
