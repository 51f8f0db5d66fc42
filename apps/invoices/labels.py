"""The words of a tax document, printed in Arabic and English side by side whatever the
page's language (as Saudi invoices are printed)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LABELS = {
    "invoice": _("Simplified tax invoice"),
    "credit_note": _("Credit note"),
    "debit_note": _("Debit note"),
    "number": pgettext_lazy("tax document", "Number"),
    "issued_at": _("Issue date and time"),
    "uuid": _("Document UUID"),
    "order": pgettext_lazy("tax document", "Order number"),
    "seller": _("Seller"),
    "buyer": _("Buyer"),
    "vat_number": _("VAT registration number"),
    "cr_number": _("Commercial registration"),
    "address": _("Address"),
    "original_invoice": _("Original invoice"),
    "reversed_note": _("Reverses credit note"),
    "reason": _("Reason"),
    "description": _("Description"),
    "quantity": _("Quantity"),
    "unit_price": _("Unit price incl. VAT"),
    "vat_rate": _("VAT rate"),
    "taxable_amount": _("Taxable amount"),
    "vat_amount": _("VAT amount"),
    "line_total": _("Total incl. VAT"),
    "total_excluding_vat": _("Total excluding VAT"),
    "vat_total": _("Total VAT"),
    "total_including_vat": _("Total including VAT"),
    "currency": _("Currency"),
    "print": _("Print"),
    "back": _("Back to the order"),
    "qr": _("Scan with the ZATCA app to verify"),
}
