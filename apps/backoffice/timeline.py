"""An order's one timeline for staff: status changes, payments and their attempts, Stripe
events, e-mails and their tracking events, refunds and staff actions, each with who and
when, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from apps.core.money import format_money
from apps.emails.models import EmailRecord, EmailStatus
from apps.orders.models import Order, OrderStatus
from apps.payments import audit
from apps.payments.messages import failure_message
from apps.payments.models import Payment, PaymentAttempt, PaymentReview, Refund, StripeEvent
from apps.payments.services.review import reported_text


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
            detail=change.describe(), actor=_person(change.actor) or system,
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
        # What the customer was told, in the reader's language (Stripe's own message is
        # English only), beside Stripe's codes.
        told = (failure_message(attempt.failure_code, attempt.decline_code)
                if failure or attempt.failure_message else "")
        entries.append(TimelineEntry(
            at=attempt.created_at, kind="attempt",
            title=_("Payment attempt: %(status)s") % {"status": attempt.get_status_display()},
            detail=" · ".join(filter(None, [card, failure, told])),
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
        if log.action == audit.PAYMENT_HELD:
            entries.append(TimelineEntry(
                at=log.timestamp, kind="payment", title=_held_title(log),
                detail=(log.data or {}).get("payment_intent", ""), actor=system, failed=True,
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


# Refund audit-log actions (apps.payments.audit) whose moment and actor the
# refund rows above already show: listed once, not twice. Sent / confirmed / failed come from
# the log (exact time); "restocked" stays a staff action.
_REFUND_LOG_ACTIONS_SHOWN_FROM_REFUNDS = frozenset({
    audit.REFUND_REQUESTED,
    audit.REFUND_AWAITING_APPROVAL,
    audit.REFUND_APPROVED,
    audit.REFUND_REJECTED,
})


_REFUND_SENT = audit.REFUND_SENT
# Refund outcomes from the audit log (exact time, who): title, is it a failure.
_REFUND_OUTCOMES = {
    _REFUND_SENT: (lambda: _("Refund of %(amount)s sent to Stripe"), False),
    audit.REFUND_SUCCEEDED: (lambda: _("Refund of %(amount)s confirmed by Stripe"), False),
    audit.REFUND_FAILED: (lambda: _("Refund of %(amount)s failed"), True),
}


def _log_detail(log) -> str:
    data = log.data or {}
    return " · ".join(str(data[key]) for key in ("note", "error", "result") if data.get(key))


def _held_title(log) -> str:
    """"Payment held for review: <reason> (expected <amount>, Stripe reported <amount>)",
    every part in the reader's language (the log stores what Stripe reported in English)."""
    data = log.data or {}
    try:
        return _("%(action)s: %(reason)s (expected %(expected)s, Stripe reported "
                 "%(reported)s)") % {
            "action": _("Payment held for review"),
            "reason": PaymentReview(data["reason"]).label,
            "expected": format_money(data["expected"], data["currency"]),
            "reported": reported_text(data["reported"]),
        }
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return str(log.message)
