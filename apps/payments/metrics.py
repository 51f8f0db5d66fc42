"""The payment figures ops and staff watch (the plan's monitoring targets: success > 95 %,
payment time < 10 s, every webhook applied, failure reasons, refunds), over the last N days.

One home for each figure: the admin dashboard (apps/backoffice) and Prometheus' `/metrics`
(apps/operations) both read `payment_metrics`. Each figure costs one query, whatever the
number of payments; percentiles are taken in Python over at most a window's timestamps.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.orders.models import DisputeStatus, Order
from apps.payments.models import (
    PAID_STATUSES,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    RefundStatus,
    Settlement,
    StripeEvent,
)

WINDOWS = (7, 30)  # days: the dashboard's two views and the exported windows
# A failed attempt Stripe gave no code for (rare; a network failure mid-confirmation).
UNKNOWN_REASON = "unknown"


@dataclass(frozen=True)
class Percentiles:
    """Seconds; None when nothing was measured."""

    count: int
    median: float | None
    p95: float | None


@dataclass(frozen=True)
class DailyPayments:
    day: date  # the shop's time zone
    succeeded: int
    failed: int


@dataclass(frozen=True)
class PaymentMetrics:
    days: int
    since: datetime
    until: datetime
    currency: str
    attempts: int
    attempts_succeeded: int
    attempts_failed: int
    success_rate: Decimal | None  # percent of attempts, one decimal; None without attempts
    time_to_paid: Percentiles  # payment page opened (PaymentIntent created) -> money arrived
    webhook_lag: Percentiles  # Stripe's `created` -> applied here
    webhook_failures: int  # events received in the window whose application is failing
    failure_reasons: list[tuple[str, int]]  # decline code (else failure code), most first
    paid_amount: Decimal  # money that paid orders in the window
    refunds: int  # refunds that succeeded, created in the window
    refunded_amount: Decimal
    refund_rate: Decimal | None  # refunded / paid amount, percent; None without payments
    open_disputes: int  # now, whatever the window
    daily: list[DailyPayments]


def percentiles(values: Sequence[float]) -> Percentiles:
    """Median and 95th percentile, interpolated between the closest ranks (the inclusive
    method: p95 of 1..20 s is 19.05 s), so a handful of payments already gives a figure."""
    data = sorted(values)
    if not data:
        return Percentiles(0, None, None)
    if len(data) == 1:
        return Percentiles(1, data[0], data[0])
    p95 = statistics.quantiles(data, n=100, method="inclusive")[94]
    return Percentiles(len(data), statistics.median(data), p95)


def payment_success_rate(
    *, now: datetime | None = None, days: int = 7
) -> tuple[Decimal | None, int]:
    """Succeeded attempts / all attempts (each card tried once) over the last `days` days,
    as a percentage with one decimal, and the number of attempts."""
    since = (now or timezone.now()) - timedelta(days=days)
    counts = PaymentAttempt.objects.filter(created_at__gte=since).aggregate(
        total=Count("pk"), succeeded=Count("pk", filter=Q(status=PaymentStatus.SUCCEEDED)),
    )
    return _percent(counts["succeeded"], counts["total"]), counts["total"]


def orders_with_open_dispute() -> QuerySet[Order]:
    return Order.objects.exclude(dispute_status="").exclude(
        dispute_status__in=DisputeStatus.closed()
    )


def payment_metrics(*, days: int, now: datetime | None = None) -> PaymentMetrics:
    until = now or timezone.now()
    since = until - timedelta(days=days)
    currency = settings.SHOP_CURRENCY
    attempts = PaymentAttempt.objects.filter(created_at__gte=since, created_at__lte=until)
    counts = attempts.aggregate(
        total=Count("pk"),
        succeeded=Count("pk", filter=Q(status=PaymentStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=PaymentStatus.FAILED)),
    )
    paid = Payment.objects.filter(
        status__in=PAID_STATUSES, settlement=Settlement.PAID_ORDER, currency=currency,
        succeeded_at__gte=since, succeeded_at__lte=until,
    )
    paid_amount = paid.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    refunds = Refund.objects.filter(
        status=RefundStatus.SUCCEEDED, currency=currency,
        created_at__gte=since, created_at__lte=until,
    ).aggregate(count=Count("pk"), total=Sum("amount"))
    refunded_amount = refunds["total"] or Decimal("0")
    return PaymentMetrics(
        days=days, since=since, until=until, currency=currency,
        attempts=counts["total"], attempts_succeeded=counts["succeeded"],
        attempts_failed=counts["failed"],
        success_rate=_percent(counts["succeeded"], counts["total"]),
        time_to_paid=percentiles([
            (succeeded_at - created_at).total_seconds()
            for created_at, succeeded_at in paid.values_list("created_at", "succeeded_at")
        ]),
        webhook_lag=_webhook_lag(since, until),
        webhook_failures=StripeEvent.objects.filter(
            received_at__gte=since, received_at__lte=until, processed_at__isnull=True,
        ).exclude(error="").count(),
        failure_reasons=_failure_reasons(attempts),
        paid_amount=paid_amount,
        refunds=refunds["count"],
        refunded_amount=refunded_amount,
        refund_rate=_percent(refunded_amount, paid_amount),
        open_disputes=orders_with_open_dispute().count(),
        daily=_daily(attempts, since, until),
    )


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _webhook_lag(since: datetime, until: datetime) -> Percentiles:
    applied = StripeEvent.objects.filter(
        processed_at__gte=since, processed_at__lte=until, stripe_created__gt=0
    ).values_list("stripe_created", "processed_at")
    return percentiles([
        # Stripe's clock has whole seconds: an event applied within its second lags 0 s.
        max(0.0, (processed_at - datetime.fromtimestamp(created, UTC))
            .total_seconds())
        for created, processed_at in applied
    ])


def _failure_reasons(attempts: QuerySet[PaymentAttempt]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    failed = attempts.filter(status=PaymentStatus.FAILED)
    for row in failed.values("decline_code", "failure_code").annotate(n=Count("pk")):
        reason = row["decline_code"] or row["failure_code"] or UNKNOWN_REASON
        counts[reason] = counts.get(reason, 0) + row["n"]
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _daily(
    attempts: QuerySet[PaymentAttempt], since: datetime, until: datetime
) -> list[DailyPayments]:
    """Attempts per day of the shop's time zone, every day of the window listed (a day
    without payments shows as zero, not as a gap)."""
    rows = (
        attempts.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(succeeded=Count("pk", filter=Q(status=PaymentStatus.SUCCEEDED)),
                  failed=Count("pk", filter=Q(status=PaymentStatus.FAILED)))
    )
    by_day = {row["day"]: (row["succeeded"], row["failed"]) for row in rows}
    first, last = timezone.localdate(since), timezone.localdate(until)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [DailyPayments(day, *by_day.get(day, (0, 0))) for day in days]
