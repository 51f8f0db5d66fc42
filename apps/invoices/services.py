"""Issuing tax documents. Each is issued inside the transaction that caused it (the order
marked paid, a refund reported succeeded, a refund reported failed after success), under
that order's lock, so a rolled-back cause takes no number and no document is issued twice.

VAT rounding, the one way: the VAT inside a VAT-inclusive amount is
`vat_included(amount)` (pricing), applied to running totals. An invoice's line VATs are the
differences of the VAT of its running line totals, so they add up to the order's VAT; a
credit note's VAT is the VAT of everything credited so far, less the VAT already credited,
so notes that credit the whole invoice credit exactly its VAT.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from apps.core.money import quantize
from apps.invoices.models import DOCUMENT_COUNTER, PREFIXES, DocumentKind, TaxDocument
from apps.invoices.zatca import qr_payload
from apps.orders.models import Order
from apps.orders.services import next_counter_value
from apps.pricing.selectors import vat_included


class CreditExceedsInvoice(ValueError):
    """Credit notes may never add up to more than their invoice."""


def _seller() -> dict[str, str]:
    identity = settings.SHOP_IDENTITY
    return {key: str(identity.get(key) or "") for key in (
        "name_ar", "name_en", "vat_number", "commercial_registration", "address_ar",
        "address_en",
    )}


def _buyer(order: Order) -> dict[str, str]:
    return {
        "name": order.full_name,
        "phone": order.phone,
        "email": order.email,
        "city": order.get_city_display(),
        "address": ", ".join(part for part in (
            order.building_number, order.street, order.district,
            order.get_city_display(), order.postal_code,
        ) if part),
    }


def _money(amount: Decimal, currency: str) -> str:
    return str(quantize(amount, currency))


def _new_document(kind: DocumentKind, order: Order, *, currency: str, vat_rate: Decimal,
                  lines: list[dict], total: Decimal, vat: Decimal, **fields) -> TaxDocument:
    """Numbered last, just before the insert: the sequence rows stay locked only until
    commit, and a failure before this point takes no number."""
    total, vat = quantize(total, currency), quantize(vat, currency)
    seller = _seller()
    issued_at = timezone.now()
    sequence = next_counter_value(str(kind))
    document = TaxDocument(
        kind=kind,
        number=f"{PREFIXES[kind]}-{timezone.localdate(issued_at).year}-{sequence:06d}",
        sequence=sequence,
        counter=next_counter_value(DOCUMENT_COUNTER),
        order=order,
        issued_at=issued_at,
        currency=currency,
        vat_rate=vat_rate,
        seller=seller,
        buyer=_buyer(order),
        lines=lines,
        total_excluding_vat=total - vat,
        vat_total=vat,
        total_including_vat=total,
        qr_payload=qr_payload(
            seller_name=seller["name_ar"], vat_number=seller["vat_number"],
            issued_at=issued_at, total_with_vat=total, vat_total=vat,
        ),
        **fields,
    )
    document.save()
    return document


def issue_invoice(order: Order) -> TaxDocument:
    """The simplified tax invoice of a paid order (its one invoice: issued once, returned
    again after). Caller holds the order's lock, in the transaction that marks it paid."""
    existing = TaxDocument.objects.filter(order=order, kind=DocumentKind.INVOICE).first()
    if existing is not None:
        return existing
    currency, rate = order.currency, order.vat_rate
    items = [(line.sku, line.name_ar, line.name_en, line.unit_price, line.quantity,
              line.line_total) for line in order.lines.all()]
    if order.shipping > 0:
        items.append(("", "الشحن", "Shipping", order.shipping, 1, order.shipping))
    lines, running, vat_so_far = [], Decimal(0), Decimal(0)
    for sku, name_ar, name_en, unit_price, quantity, line_total in items:
        running += line_total
        vat = vat_included(running, rate, currency) - vat_so_far
        vat_so_far += vat
        lines.append({
            "sku": sku, "name_ar": name_ar, "name_en": name_en,
            "quantity": quantity,
            "unit_price": _money(unit_price, currency),
            "vat_rate": str(rate),
            "taxable_amount": _money(line_total - vat, currency),
            "vat_amount": _money(vat, currency),
            "line_total": _money(line_total, currency),
        })
    return _new_document(DocumentKind.INVOICE, order, currency=currency, vat_rate=rate,
                         lines=lines, total=order.total, vat=vat_so_far)


def credited(invoice: TaxDocument) -> tuple[Decimal, Decimal]:
    """(amount, VAT) credited against an invoice so far: its credit notes less the debit
    notes that reversed some of them."""
    def total(kind: DocumentKind) -> tuple[Decimal, Decimal]:
        sums = invoice.adjustments.filter(kind=kind).aggregate(
            amount=Sum("total_including_vat"), vat=Sum("vat_total"))
        return sums["amount"] or Decimal(0), sums["vat"] or Decimal(0)

    credit_amount, credit_vat = total(DocumentKind.CREDIT_NOTE)
    debit_amount, debit_vat = total(DocumentKind.DEBIT_NOTE)
    return credit_amount - debit_amount, credit_vat - debit_vat


def _note_line(invoice: TaxDocument, amount: Decimal, vat: Decimal, *, ar: str, en: str):
    currency = invoice.currency
    return [{
        "sku": "", "name_ar": ar, "name_en": en, "quantity": 1,
        "unit_price": _money(amount, currency), "vat_rate": str(invoice.vat_rate),
        "taxable_amount": _money(amount - vat, currency), "vat_amount": _money(vat, currency),
        "line_total": _money(amount, currency),
    }]


def issue_credit_note(*, order: Order, source: str, amount: Decimal, reason_ar: str,
                      reason_en: str) -> TaxDocument | None:
    """The credit note of a refund of `amount` (VAT included) against the order's invoice,
    once per `source` (e.g. "refund:42"). None when the order has no invoice (money that was
    never a sale: an automatic refund of a late or second payment). Caller holds the order's
    lock."""
    existing = TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE, source=source).first()
    if existing is not None:
        return existing
    invoice = TaxDocument.objects.filter(order=order, kind=DocumentKind.INVOICE).first()
    if invoice is None:
        return None
    credited_amount, credited_vat = credited(invoice)
    after = credited_amount + amount
    if amount <= 0 or after > invoice.total_including_vat:
        raise CreditExceedsInvoice(
            f"Crediting {amount} would take {invoice.number}'s credit notes to {after}, over "
            f"its total {invoice.total_including_vat}."
        )
    if after == invoice.total_including_vat:
        vat = invoice.vat_total - credited_vat  # the whole invoice: exactly its VAT
    else:
        vat = vat_included(after, invoice.vat_rate, invoice.currency) - credited_vat
    vat = min(max(vat, Decimal(0)), amount)
    return _new_document(
        DocumentKind.CREDIT_NOTE, order, currency=invoice.currency, vat_rate=invoice.vat_rate,
        lines=_note_line(invoice, amount, vat, ar=f"استرداد من الفاتورة {invoice.number}",
                         en=f"Refund against invoice {invoice.number}"),
        total=amount, vat=vat, invoice=invoice, source=source,
        reason_ar=reason_ar[:255], reason_en=reason_en[:255],
    )


def reverse_credit_note(*, source: str, reason_ar: str, reason_en: str) -> TaxDocument | None:
    """A debit note that reverses the credit note of `source` (its refund failed after
    Stripe had reported it succeeded: the money stayed with the shop). The credit note is
    kept; once per credit note. None when there is no credit note to reverse."""
    credit_note = TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE,
                                             source=source).first()
    if credit_note is None:
        return None
    existing = TaxDocument.objects.filter(reverses=credit_note).first()
    if existing is not None:
        return existing
    amount, vat = credit_note.total_including_vat, credit_note.vat_total
    invoice = credit_note.invoice
    return _new_document(
        DocumentKind.DEBIT_NOTE, credit_note.order, currency=credit_note.currency,
        vat_rate=credit_note.vat_rate,
        lines=_note_line(invoice, amount, vat,
                         ar=f"إلغاء الإشعار الدائن {credit_note.number}",
                         en=f"Reversal of credit note {credit_note.number}"),
        total=amount, vat=vat, invoice=invoice, reverses=credit_note,
        source=f"reversal:{source}"[:64], reason_ar=reason_ar[:255], reason_en=reason_en[:255],
    )
