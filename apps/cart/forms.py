from django import forms
from django.utils.translation import gettext_lazy as _

from apps.cart.services import MAX_QUANTITY_PER_LINE, CartError, check_quantity


class QuantityField(forms.IntegerField):
    def __init__(self, *, min_value: int = 1, **kwargs):
        super().__init__(
            label=_("Quantity"), min_value=min_value, max_value=MAX_QUANTITY_PER_LINE,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "dir": "ltr", "class": "qty"}),
            error_messages={
                "invalid": _("Enter a whole number."),
                # Our own words, not Django's "Ensure this value is …".
                "max_value": _("You can order at most %(limit_value)s of one product."),
                "min_value": _("The quantity must be at least %(limit_value)s."),
            },
            **kwargs,
        )

    def to_python(self, value):
        from apps.core.text import to_ascii_digits

        return super().to_python(to_ascii_digits(value) if isinstance(value, str) else value)


class AddToCartForm(forms.Form):
    quantity = QuantityField(initial=1)

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        try:
            check_quantity(product=self.product, quantity=quantity)
        except CartError as error:
            raise forms.ValidationError(str(error)) from None
        return quantity


class UpdateLineForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity = QuantityField(min_value=0)
