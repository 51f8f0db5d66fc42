"""Forms of the staff admin: the refund form (and its confirmation step), the decision on a
refund awaiting approval, the shipping zone form."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import DecimalValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from apps.core.address import City
from apps.core.money import charge_step, currency_decimals, format_money, quantize
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

    # Decimals and step are the currency's (set in __init__): 2 for SAR, 3 for KWD.
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
        amount = self.fields["amount"]
        # No full stop after the amount: in Arabic it already ends with one ("ر.س.").
        amount.help_text = _("Up to %(amount)s") % {
            "amount": format_money(refundable, currency)
        }
        decimals = currency_decimals(currency)
        amount.decimal_places = decimals
        amount.validators = [
            validator for validator in amount.validators
            if not isinstance(validator, DecimalValidator)
        ] + [DecimalValidator(amount.max_digits, decimals)]
        amount.error_messages = {**amount.error_messages,
                                 "max_decimal_places": self.too_many_decimals()}
        amount.widget.attrs.update(inputmode="decimal", dir="ltr", step=str(step))

    def too_many_decimals(self) -> str:
        return _("Enter an amount in %(currency)s with at most its decimals.") % {
            "currency": self.currency}

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        try:
            exact = quantize(amount, self.currency) == amount
        except (InvalidOperation, ValueError):
            exact = False
        if not exact:
            raise forms.ValidationError(self.too_many_decimals())
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


class LoginForm(WagtailLoginForm):
    """Wagtail's sign-in form with a translated password label (Wagtail's has none, so
    Django shows the field's English name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")


class ShipmentForm(forms.Form):
    """What staff enter when an order leaves with a carrier."""

    carrier = forms.CharField(label=_("Carrier"), max_length=80,
                              help_text=_("For example SMSA, Aramex, SPL or DHL."))
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=80,
                                      widget=forms.TextInput(attrs={"dir": "ltr"}))
    tracking_url = forms.URLField(label=_("Tracking link"), max_length=500, required=False,
                                  assume_scheme="https",
                                  widget=forms.URLInput(attrs={"dir": "ltr"}),
                                  help_text=_("The carrier's page for this shipment, if any."))
