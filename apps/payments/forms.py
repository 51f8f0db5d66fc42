from django import forms
from django.utils.translation import gettext_lazy as _


class SandboxCardForm(forms.Form):
    """The sandbox's stand-in for Stripe's Payment Element (no real card data exists)."""

    card_number = forms.CharField(label=_("Card number"), max_length=23, required=False)
    three_ds = forms.ChoiceField(
        choices=[("", "-"), ("approve", "approve"), ("fail", "fail")], required=False
    )
