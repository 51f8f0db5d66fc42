"""Building a bilingual message: the customer's language first, then the other one.

Each language block is rendered under `translation.override(lang)`, so texts, dates, links
(`/ar/…`, `/en/…`) and amounts (`apps.core.money.format_money`, the `money` filter) read
exactly as on the site in that language. The order is read when the message is sent; the
facts the cause handed over (`record.data`: amounts, card, reasons, links) were frozen when
it was queued, so a later refund never changes an earlier refund's mail, and nothing is
looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from apps.core.i18n import pick_language
from apps.core.money import from_minor_units
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import Order

OTHER_LANGUAGE = {"ar": "en", "en": "ar"}
DIRECTION = {"ar": "rtl", "en": "ltr"}

# "%(number)s" is the order number; each language names it in its own words.
SUBJECTS = {
    EmailKind.ORDER_CONFIRMED: _("Your order %(number)s is confirmed"),
    EmailKind.PAYMENT_FAILED: _("Payment for order %(number)s did not go through"),
    EmailKind.REFUND: _("Refund for order %(number)s"),
    EmailKind.DISPUTE_ALERT: _("New payment dispute on order %(number)s"),
    EmailKind.PAYMENT_REVIEW: _("Payment held for review on order %(number)s"),
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
    blocks = []
    for lang in languages_for(record.language):
        with translation.override(lang):
            context = {
                **_facts(record, order, lang),
                "order": order,
                "lines": [_line(line, lang) for line in order.lines.all()],
                "lang": lang,
                "dir": DIRECTION[lang],
                "align": "right" if DIRECTION[lang] == "rtl" else "left",
                "shop": _shop(lang),
                "order_url": _absolute(order.get_guest_url()),
                "city": order.get_city_display(),
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


def _facts(record: EmailRecord, order: Order, lang: str) -> dict[str, Any]:
    """What the message states beyond the order: the facts frozen when it was queued, each
    in `lang` when it was frozen in every language."""
    data = {key: pick_language(value, lang) for key, value in (record.data or {}).items()}
    facts: dict[str, Any] = {"kind": record.kind, "currency": order.currency, **data}
    if data.get("pay_path"):
        facts["pay_url"] = _absolute(data["pay_path"])
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
