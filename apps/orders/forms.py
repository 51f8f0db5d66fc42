from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.address import SaudiAddressForm
from apps.orders.models import Order


class CheckoutForm(SaudiAddressForm):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
        help_text=_("We send the order confirmation here."),
    )
    save_address = forms.BooleanField(label=_("Save this address to my address book"), required=False)
    # What the shopper saw: product, quantity and price of every line (see cart_fingerprint).
    cart_fingerprint = forms.CharField(widget=forms.HiddenInput)
    # This form's own key, made when it is shown: sent twice, it is still one order.
    checkout_token = forms.UUIDField(widget=forms.HiddenInput)

    class Meta(SaudiAddressForm.Meta):
        model = Order
        fields = ["email", *SaudiAddressForm.Meta.fields]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["dir"] = "ltr"
        if user is None or not user.is_authenticated:
            del self.fields["save_address"]

    def address_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SaudiAddressForm.Meta.fields}
