"""Building a bilingual message: the customer's language first, then the other one.

Each language block is rendered under `translation.override(lang)`, so texts, dates, links
(`/ar/…`, `/en/…`) and amounts (`apps.core.money.format_money`, the `money` filter) read
exactly as on the site in that language. Links and the order are read when the message is
sent; a refund's amounts were frozen in `record.data` when it was queued
(`services.refund_figures`), so a later refund never changes an earlier refund's mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.money import from_minor_units
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import Order
from apps.payments.models import RefundReason

OTHER_LANGUAGE = {"ar": "en", "en": "ar"}
DIRECTION = {"ar": "rtl", "en": "ltr"}

# "%(number)s" is the order number; each language names it in its own words.
SUBJECTS = {
    EmailKind.ORDER_CONFIRMED: _("Your order %(number)s is confirmed"),
    EmailKind.PAYMENT_FAILED: _("Payment for order %(number)s did not go through"),
    EmailKind.REFUND: _("Refund for order %(number)s"),
    EmailKind.DISPUTE_ALERT: _("New payment dispute on order %(number)s"),
}


# Unicode isolates: each language's half of the subject keeps its own direction, so the order
# number stays inside its own sentence whichever language comes first.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
ISOLATE = {"ar": RLI, "en": LRI}


def subject_for(kind: str, number: str, lang: str) -> str:
    """One language's subject (active language), isolated as a whole: RLI … PDI for Arabic,
    LRI … PDI for English, with the order number isolated inside it (FSI … PDI)."""
    text = str(SUBJECTS[kind]) % {"number": f"{FSI}{number}{PDI}"}
    return f"{ISOLATE[lang]}{text}{PDI}"


@dataclass
class LanguageBlock:
    lang: str
    dir: str
    align: str
    subject: str
    html: SafeString
    text: str


@dataclass
class RenderedEmail:
    subject: str
    html: str
    text: str
    blocks: list[LanguageBlock] = field(default_factory=list)


def languages_for(language: str) -> list[str]:
    """The reader's language first, then the other one."""
    first = language if language in OTHER_LANGUAGE else settings.LANGUAGE_CODE[:2]
    return [first, OTHER_LANGUAGE[first]]


def render_email(record: EmailRecord) -> RenderedEmail:
    order = Order.objects.prefetch_related("lines").get(pk=record.order_id)
    facts = _facts(record, order)
    blocks = []
    for lang in languages_for(record.language):
        with translation.override(lang):
            context = {
                **facts,
                "order": order,
                "lines": [_line(line, lang) for line in order.lines.all()],
                "lang": lang,
                "dir": DIRECTION[lang],
                "align": "right" if DIRECTION[lang] == "rtl" else "left",
                "shop": _shop(lang),
                "order_url": _absolute(order.get_guest_url()),
                "city": order.get_city_display(),
                **_language_facts(record, order, facts),
            }
            blocks.append(
                LanguageBlock(
                    lang=lang,
                    dir=context["dir"],
                    align=context["align"],
                    subject=subject_for(record.kind, order.number, lang),
                    html=mark_safe(render_to_string(f"emails/{record.kind}.html", context)),
                    text=render_to_string(f"emails/{record.kind}.txt", context).strip(),
                )
            )
    subject = " · ".join(block.subject for block in blocks)  # each half isolated
    primary = blocks[0].lang
    with translation.override(primary):
        layout = {
            "blocks": blocks,
            "subject": subject,
            "lang": primary,
            "dir": DIRECTION[primary],
            "shop_ar": _shop("ar"),
            "shop_en": _shop("en"),
        }
        html = render_to_string("emails/base.html", layout)
        text = render_to_string("emails/base.txt", layout)
    return RenderedEmail(subject=subject, html=html, text=text, blocks=blocks)


# --- facts ----------------------------------------------------------------------------------


def _cause_id(record: EmailRecord) -> int | None:
    _prefix, _sep, value = record.cause.partition(":")
    return int(value) if value.isdigit() else None


def _facts(record: EmailRecord, order: Order) -> dict[str, Any]:
    """What the message says, independent of the language."""
    from apps.payments.models import Payment, PaymentAttempt, Refund

    facts: dict[str, Any] = {"kind": record.kind, "currency": order.currency}
    if record.kind == EmailKind.ORDER_CONFIRMED:
        facts["payment"] = Payment.objects.filter(pk=_cause_id(record)).first()
    elif record.kind == EmailKind.PAYMENT_FAILED:
        attempt = PaymentAttempt.objects.filter(dedup_key=record.cause).first()
        facts["attempt"] = attempt
    elif record.kind == EmailKind.REFUND:
        refund = Refund.objects.select_related("payment").get(pk=_cause_id(record))
        payment = refund.payment
        data = record.data or {}
        if "refund_amount" in data:  # frozen when queued (services.refund_figures)
            refunded = Decimal(data["refund_amount"])
            refunded_total = Decimal(data["refunded_total"])
            kept = Decimal(data["kept"])
            paid = Decimal(data["paid"])
        else:  # a record queued before the figures were frozen
            refunded, refunded_total = refund.amount, payment.amount_refunded
            kept = max(payment.amount - payment.amount_refunded, Decimal("0"))
            paid = payment.amount
        facts.update(
            refund=refund,
            payment=payment,
            refunded=refunded,
            refunded_total=refunded_total,
            kept=kept,
            paid=paid,
            full_refund=kept <= 0,
            # Several refunds: the total refunded so far is worth its own line.
            earlier_refunds=refunded_total != refunded,
        )
    elif record.kind == EmailKind.DISPUTE_ALERT:
        data = record.data or {}
        currency = str(data.get("currency") or order.currency).upper()
        due_by = data.get("due_by")
        facts.update(
            dispute_id=data.get("dispute_id", ""),
            dispute_reason=data.get("reason", ""),
            dispute_status=data.get("status", ""),
            dispute_amount=from_minor_units(int(data.get("amount") or 0), currency),
            dispute_currency=currency,
            dispute_due_by=datetime.fromtimestamp(int(due_by), tz=UTC) if due_by else None,
            dispute_url=(
                "https://dashboard.stripe.com/"
                + ("" if data.get("livemode") else "test/")
                + f"payments/{data.get('payment_intent', '')}"
                if data.get("payment_intent") else ""
            ),
            admin_url=f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/",
        )
    return facts


def _language_facts(record: EmailRecord, order: Order, facts: dict[str, Any]) -> dict[str, Any]:
    """What changes with the language: links with the language prefix, translated reasons."""
    extra: dict[str, Any] = {}
    if record.kind == EmailKind.PAYMENT_FAILED:
        from apps.payments.messages import failure_message

        attempt = facts.get("attempt")
        extra["failure_reason"] = (
            failure_message(attempt.failure_code, attempt.decline_code)
            if attempt is not None else failure_message(None)
        )
        extra["pay_url"] = pay_url(order)
    elif record.kind == EmailKind.REFUND:
        extra["refund_reason"] = REFUND_REASON_TEXTS.get(facts["refund"].reason, "")
    elif record.kind == EmailKind.DISPUTE_ALERT:
        extra["dispute_reason_label"] = label_for(DISPUTE_REASONS, facts["dispute_reason"])
        extra["dispute_status_label"] = label_for(DISPUTE_STATUSES, facts["dispute_status"])
    return extra


def label_for(labels: dict[str, Any], code: str) -> str:
    """A Stripe code in the active language; an unknown code as Stripe wrote it."""
    return str(labels[code]) if code in labels else code


# Stripe's dispute reasons (Dispute.reason), in staff's words.
DISPUTE_REASONS = {
    "bank_cannot_process": pgettext_lazy("dispute reason", "Bank cannot process"),
    "check_returned": pgettext_lazy("dispute reason", "Check returned"),
    "credit_not_processed": pgettext_lazy("dispute reason", "Refund not processed"),
    "customer_initiated": pgettext_lazy("dispute reason", "Initiated by the customer"),
    "debit_not_authorized": pgettext_lazy("dispute reason", "Debit not authorized"),
    "duplicate": pgettext_lazy("dispute reason", "Duplicate charge"),
    "fraudulent": pgettext_lazy("dispute reason", "Fraudulent (card used without permission)"),
    "general": pgettext_lazy("dispute reason", "General"),
    "incorrect_account_details": pgettext_lazy("dispute reason", "Incorrect account details"),
    "insufficient_funds": pgettext_lazy("dispute reason", "Insufficient funds"),
    "noncompliant": pgettext_lazy("dispute reason", "Non-compliant"),
    "product_not_received": pgettext_lazy("dispute reason", "Product not received"),
    "product_unacceptable": pgettext_lazy("dispute reason", "Product unacceptable"),
    "subscription_canceled": pgettext_lazy("dispute reason", "Subscription canceled"),
    "unrecognized": pgettext_lazy("dispute reason", "Charge not recognized"),
}
# Stripe's dispute statuses (Dispute.status); the same msgids as the admin's order timeline.
DISPUTE_STATUSES = {
    "warning_needs_response": pgettext_lazy("dispute status", "Inquiry: needs a response"),
    "warning_under_review": pgettext_lazy("dispute status", "Inquiry under review"),
    "warning_closed": pgettext_lazy("dispute status", "Inquiry closed"),
    "charge_refunded": pgettext_lazy("dispute status", "Closed: charge refunded"),
    "needs_response": pgettext_lazy("dispute status", "Needs a response"),
    "under_review": pgettext_lazy("dispute status", "Under review"),
    "won": pgettext_lazy("dispute status", "Won"),
    "lost": pgettext_lazy("dispute status", "Lost"),
}


# Why the shop refunded on its own, in the customer's words (staff refunds need no reason).
REFUND_REASON_TEXTS = {
    RefundReason.OUT_OF_STOCK: _(
        "Your payment arrived after your order's reservation had expired, and the items "
        "were sold out by then."
    ),
    RefundReason.DUPLICATE: _(
        "Your order had already been paid, so this second payment is returned."
    ),
    RefundReason.ORDER_CANCELLED: _("Your order was cancelled."),
}


def pay_url(order: Order) -> str:
    """The payment page in the active language, with the order's signed guest token so the
    link works without signing in."""
    path = reverse("payments:pay", kwargs={"number": order.number})
    return _absolute(f"{path}?{urlencode({'token': order.guest_token})}")


def _absolute(path: str) -> str:
    return f"{settings.SHOP_BASE_URL.rstrip('/')}{path}"


def _line(line, lang: str) -> dict[str, Any]:
    return {
        "name": line.name_en if lang == "en" else line.name_ar,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "line_total": line.line_total,
    }


def _shop(lang: str) -> dict[str, str]:
    identity = settings.SHOP_IDENTITY
    return {
        "name": identity["name_en"] if lang == "en" else identity["name_ar"],
        "address": identity["address_en"] if lang == "en" else identity["address_ar"],
        "commercial_registration": identity["commercial_registration"],
        "vat_number": identity["vat_number"],
        "email": identity["email"],
        "phone": identity["phone"],
    }
