"""The shop's figures in Prometheus' format (prometheus_client), read from the database at
each scrape, so every web machine answers the same and nothing is kept per process.

Windowed figures carry a `window` label ("7d", "30d"): the same figures as the admin
dashboard, from the same function (apps.payments.metrics). Prometheus' own `rate()` is not
needed for them; alert on them directly (docs/deployment.md).
"""

from collections.abc import Iterator

from django.conf import settings
from django_tasks import task_backends
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from apps.emails.selectors import email_backlog
from apps.operations.health import oldest_waiting_task
from apps.payments import gateway
from apps.payments.metrics import WINDOWS, Percentiles, payment_metrics


def _gauge(name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"shop_{name}", documentation, labels=labels)


class ShopCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        currency = settings.SHOP_CURRENCY
        attempts = _gauge("payment_attempts", "Card confirmations by outcome.",
                          ["window", "outcome"])
        success = _gauge("payment_success_ratio", "Succeeded / all confirmations (0-1).",
                         ["window"])
        to_paid = _gauge("payment_time_to_paid_seconds",
                         "Payment page opened to money arrived.", ["window", "quantile"])
        paid = _gauge("payments_paid", "Payments that paid their order.", ["window"])
        lag = _gauge("webhook_lag_seconds", "Stripe event created to applied here.",
                     ["window", "quantile"])
        applied = _gauge("webhook_events_applied", "Stripe events applied.", ["window"])
        webhook_failures = _gauge("webhook_failures",
                                  "Stripe events whose application is failing.", ["window"])
        reasons = _gauge("payment_failures", "Failed confirmations by decline code.",
                         ["window", "reason"])
        paid_amount = _gauge("paid_amount", "Money that paid orders (major unit).",
                             ["window", "currency"])
        refunds = _gauge("refunds", "Refunds that succeeded.", ["window"])
        refunded = _gauge("refunded_amount", "Money refunded (major unit).",
                          ["window", "currency"])
        refund_ratio = _gauge("refund_ratio", "Refunded / paid amount (0-1).", ["window"])
        for days in WINDOWS:
            window = f"{days}d"
            figures = payment_metrics(days=days)
            attempts.add_metric([window, "succeeded"], figures.attempts_succeeded)
            attempts.add_metric([window, "failed"], figures.attempts_failed)
            if figures.success_rate is not None:
                success.add_metric([window], float(figures.success_rate) / 100)
            _quantiles(to_paid, window, figures.time_to_paid)
            paid.add_metric([window], figures.time_to_paid.count)
            _quantiles(lag, window, figures.webhook_lag)
            applied.add_metric([window], figures.webhook_lag.count)
            webhook_failures.add_metric([window], figures.webhook_failures)
            for reason, count in figures.failure_reasons:
                reasons.add_metric([window, reason], count)
            paid_amount.add_metric([window, currency], float(figures.paid_amount))
            refunds.add_metric([window], figures.refunds)
            refunded.add_metric([window, currency], float(figures.refunded_amount))
            if figures.refund_rate is not None:
                refund_ratio.add_metric([window], float(figures.refund_rate) / 100)
        yield from (attempts, success, to_paid, paid, lag, applied, webhook_failures,
                    reasons, paid_amount, refunds, refunded, refund_ratio)

        disputes = _gauge("open_disputes", "Orders with a dispute still open.", [])
        disputes.add_metric([], figures.open_disputes)
        yield disputes
        backlog = email_backlog()
        emails = _gauge("email_backlog", "E-mails not sent yet.", ["state"])
        emails.add_metric(["waiting"], backlog.waiting)
        emails.add_metric(["due"], backlog.due)
        yield emails
        oldest_email = _gauge("email_oldest_due_seconds",
                              "How long the oldest due e-mail has waited.", [])
        oldest_email.add_metric([], backlog.oldest_due_seconds)
        yield oldest_email
        kind, age = oldest_waiting_task(task_backends["default"])
        tasks = _gauge("task_queue_oldest_waiting_seconds",
                       "How long the oldest task ready to run has waited.", ["backend"])
        tasks.add_metric([kind], age)
        yield tasks
        info = InfoMetricFamily("shop_stripe", "The Stripe the shop talks to (no key).")
        info.add_metric([], {"mode": gateway.mode()})
        yield info


def _quantiles(family: GaugeMetricFamily, window: str, values: Percentiles) -> None:
    if values.median is not None:
        family.add_metric([window, "0.5"], values.median)
        family.add_metric([window, "0.95"], values.p95)
