"""Building a bilingual message: the customer's language first, then the other one.

Each language block is rendered under `translation.override(lang)`, so texts, dates, links
(`/ar/…`, `/en/…`) and amounts (`apps.core.money.format_money`, the `money` filter) read
exactly as on the site in that language. The order is read when the message is sent; the
facts the cause handed over (`record.data`: amounts, card, reasons, links) were frozen when
it was queued, so a later refund never changes an earlier refund's mail, and nothing is
looked up again. The layout both languages share (and the account e-mails too) is
`apps.core.bilingual.render_bilingual`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.core.bilingual import (
    FSI,
    PDI,
    BilingualMessage,
    absolute_url,
    isolate_subject,
    languages_for,
    render_bilingual,
)
from apps.core.i18n import pick_language
from apps.core.money import from_minor_units
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import Order

# The bilingual layout (languages, directions, isolates, the shop's identity) lives in
# apps.core.bilingual, shared with the account e-mails; these names stay importable here.
__all__ = ["SUBJECTS", "RenderedEmail", "languages_for", "render_email", "subject_for"]
RenderedEmail = BilingualMessage

# "%(number)s" is the order number; each language names it in its own words.
SUBJECTS = {
    EmailKind.ORDER_CONFIRMED: _("Your order %(number)s is confirmed"),
    EmailKind.PAYMENT_FAILED: _("Payment for order %(number)s did not go through"),
    EmailKind.PAYMENT_REMINDER: _("Complete your payment for order %(number)s"),
    EmailKind.ORDER_SHIPPED: _("Your order %(number)s is on its way"),
    EmailKind.REFUND: _("Refund for order %(number)s"),
    EmailKind.DISPUTE_ALERT: _("New payment dispute on order %(number)s"),
    EmailKind.PAYMENT_REVIEW: _("Payment held for review on order %(number)s"),
}


def _subject_text(kind: str, number: str) -> str:
    # The order number isolated inside the sentence (FSI … PDI): it stays inside its own
    # sentence whichever language comes first.
    return str(SUBJECTS[kind]) % {"number": f"{FSI}{number}{PDI}"}


def subject_for(kind: str, number: str, lang: str) -> str:
    """One language's subject (active language), isolated as a whole: RLI … PDI for Arabic,
    LRI … PDI for English, with the order number isolated inside it (FSI … PDI)."""
    return isolate_subject(_subject_text(kind, number), lang)


def render_email(record: EmailRecord) -> RenderedEmail:
    order = Order.objects.prefetch_related("lines").get(pk=record.order_id)

    def context(lang: str) -> dict[str, Any]:
        return {
            **_facts(record, order, lang),
            "order": order,
            "lines": [_line(line, lang) for line in order.lines.all()],
            "order_url": absolute_url(order.get_guest_url()),
            "city": order.get_city_display(),
        }

    return render_bilingual(
        language=record.language,
        html_template=f"emails/{record.kind}.html",
        text_template=f"emails/{record.kind}.txt",
        context=context,
        subject=lambda lang: _subject_text(record.kind, order.number),
    )


# --- facts ----------------------------------------------------------------------------------


def _facts(record: EmailRecord, order: Order, lang: str) -> dict[str, Any]:
    """What the message states beyond the order: the facts frozen when it was queued, each
    in `lang` when it was frozen in every language."""
    data = {key: pick_language(value, lang) for key, value in (record.data or {}).items()}
    facts: dict[str, Any] = {"kind": record.kind, "currency": order.currency, **data}
    if data.get("pay_path"):
        facts["pay_url"] = absolute_url(data["pay_path"])
    if data.get("document_path"):
        facts["document_url"] = absolute_url(data["document_path"])
    for key in ("refund_amount", "refunded_total", "kept", "paid"):
        if data.get(key) not in (None, ""):
            facts[key] = Decimal(str(data[key]))
    if record.kind == EmailKind.REFUND and "refund_amount" in facts:
        facts.update(
            refunded=facts["refund_amount"],
            full_refund=facts.get("kept", Decimal("1")) <= 0,
            # Several refunds: the total refunded so far is worth its own line.
            earlier_refunds=facts.get("refunded_total") != facts["refund_amount"],
        )
    if record.kind in EmailKind.for_staff():
        facts["admin_url"] = f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/"
    if record.kind == EmailKind.PAYMENT_REVIEW:
        for key in ("expected", "reported"):
            if data.get(key) not in (None, ""):
                facts[key] = Decimal(str(data[key]))
    if record.kind == EmailKind.DISPUTE_ALERT:
        currency = str(data.get("currency") or order.currency).upper()
        due_by = data.get("due_by")
        facts.update(
            dispute_id=data.get("dispute_id", ""),
            dispute_amount=from_minor_units(int(data.get("amount") or 0), currency),
            dispute_currency=currency,
            dispute_due_by=datetime.fromtimestamp(int(due_by), tz=UTC) if due_by else None,
            dispute_reason_label=data.get("reason_label") or data.get("reason", ""),
            dispute_status_label=data.get("status_label") or data.get("status", ""),
            dispute_url=data.get("dashboard_url", ""),
        )
    return facts


def _line(line, lang: str) -> dict[str, Any]:
    return {
        "name": line.name_en if lang == "en" else line.name_ar,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "line_total": line.line_total,
    }
