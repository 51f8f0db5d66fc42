"""Tax documents: frozen snapshots, never edited and never deleted. A credit note that no
longer holds (its refund failed) is reversed by a debit note, not removed."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.orders.models import Order


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Simplified tax invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    DEBIT_NOTE = "debit_note", _("Debit note")


# Each kind's own gapless sequence and number prefix (INV-2026-000001).
PREFIXES = {
    DocumentKind.INVOICE: "INV",
    DocumentKind.CREDIT_NOTE: "CRN",
    DocumentKind.DEBIT_NOTE: "DBN",
}
# Every document's place in one counter across kinds: ZATCA phase 2's invoice counter
# value (ICV), kept now so phase 2 can be added.
DOCUMENT_COUNTER = "tax_document"


class TaxDocument(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=32, unique=True)
    sequence = models.PositiveBigIntegerField(_("number in its sequence"))
    counter = models.PositiveBigIntegerField(_("document counter"), unique=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tax_documents",
                              verbose_name=_("order"))
    # Credit and debit notes: the invoice they adjust. A debit note: also the credit note
    # it reverses.
    invoice = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="adjustments", verbose_name=_("invoice"))
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    # What caused a note (e.g. "refund:42"): one credit note per refund, one reversal.
    source = models.CharField(max_length=64, blank=True)
    reason_ar = models.CharField(_("reason (Arabic)"), max_length=255, blank=True)
    reason_en = models.CharField(_("reason (English)"), max_length=255, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    currency = models.CharField(_("currency"), max_length=3)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    # Seller, buyer and lines as they were when issued (strings for amounts).
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    total_excluding_vat = models.DecimalField(max_digits=12, decimal_places=3)
    vat_total = models.DecimalField(max_digits=12, decimal_places=3)
    total_including_vat = models.DecimalField(max_digits=12, decimal_places=3)
    qr_payload = models.TextField()

    class Meta:
        verbose_name = _("tax document")
        verbose_name_plural = _("tax documents")
        ordering = ["counter"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "sequence"], name="tax_document_sequence"),
            models.UniqueConstraint(fields=["order"], condition=models.Q(kind="invoice"),
                                    name="one_invoice_per_order"),
            models.UniqueConstraint(fields=["kind", "source"], condition=~models.Q(source=""),
                                    name="one_document_per_source"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def vat_percent(self) -> Decimal:
        return (self.vat_rate * 100).normalize()

    @property
    def reason(self) -> str:
        english = (translation.get_language() or "ar").startswith("en")
        return self.reason_en if english else self.reason_ar
