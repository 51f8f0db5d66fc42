"""Forms of the staff admin: the refund form (and its confirmation step), the decision on a
refund awaiting approval, the shipping zone form."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.address import City
from apps.core.money import charge_step, format_money, quantize
from apps.core.text import to_ascii_digits
from apps.payments.models import StripeRefundReason
from apps.pricing.models import ShippingZone


class AmountField(forms.DecimalField):
    """A money amount as staff type it: Arabic-Indic digits and the Arabic decimal separator
    are accepted."""

    def to_python(self, value):
        if isinstance(value, str):
            value = to_ascii_digits(value).replace("٫", ".").replace(",", "").strip()
        return super().to_python(value)


class RefundForm(forms.Form):
    """Refund (part of) an order's payment. The hidden key is generated when the form is
    first shown and travels through the confirmation step: however often the form is sent,
    it is one refund."""

    amount = AmountField(label=_("Amount to refund"), max_digits=12, decimal_places=3)
    stripe_reason = forms.ChoiceField(
        label=_("Reason"), choices=StripeRefundReason.choices,
        initial=StripeRefundReason.REQUESTED_BY_CUSTOMER,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the team; the customer does not see it."),
    )
    restock = forms.BooleanField(
        label=_("Put the order's items back in stock"), required=False,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, currency: str, refundable: Decimal, **kwargs):
        self.currency = currency
        self.refundable = refundable
        step = charge_step(currency)
        initial = {
            "amount": quantize(refundable // step * step, currency),
            "idempotency_key": uuid.uuid4(),
            **kwargs.pop("initial", {}),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["amount"].help_text = _("At most %(amount)s.") % {
            "amount": format_money(refundable, currency)
        }
        self.fields["amount"].widget.attrs.update(inputmode="decimal", dir="ltr")

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        try:
            exact = quantize(amount, self.currency) == amount
        except (InvalidOperation, ValueError):
            exact = False
        if not exact:
            raise forms.ValidationError(_("Enter an amount in %(currency)s with at most its "
                                          "decimals.") % {"currency": self.currency})
        if amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        step = charge_step(self.currency)
        if amount % step:
            # Three-decimal currencies (KWD, BHD, OMR, JOD): Stripe takes steps of 0.010.
            raise forms.ValidationError(
                _("Stripe refunds %(currency)s in steps of %(step)s: enter a multiple of it "
                  "(e.g. %(example)s).")
                % {"currency": self.currency, "step": step,
                   "example": quantize(max(amount - amount % step, step), self.currency)}
            )
        if amount > self.refundable:
            raise forms.ValidationError(
                _("That is more than what is left to refund (%(amount)s).")
                % {"amount": format_money(self.refundable, self.currency)}
            )
        return amount


class RefundDecisionForm(forms.Form):
    """A manager approves or rejects a refund awaiting approval."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ShippingZoneForm(forms.ModelForm):
    cities = forms.MultipleChoiceField(
        label=_("Cities"), choices=City.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ShippingZone
        fields = ["name_ar", "name_en", "cities", "rate", "free_above", "is_default"]
