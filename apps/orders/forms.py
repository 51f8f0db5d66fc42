from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import to_ascii_digits
from apps.orders.address import City, normalize_saudi_mobile
from apps.orders.models import Order


class SaudiAddressForm(forms.ModelForm):
    """Delivery address fields, normalised: Arabic digits accepted, mobile stored +9665XXXXXXXX."""

    # Wider than the stored 13 characters: shoppers type spaces, dashes and "00966".
    phone = forms.CharField(
        label=_("Mobile"), max_length=20, help_text=_("Saudi mobile, e.g. 05XXXXXXXX"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )

    class Meta:
        model = Order
        fields = [
            "full_name", "phone", "city", "district", "street",
            "building_number", "postal_code", "additional_number",
        ]
        widgets = {
            "postal_code": forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "postal-code"}),
            "building_number": forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
            "additional_number": forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", _("Choose a city"))] + list(City.choices)

    def _clean_digits(self, name: str) -> str:
        return to_ascii_digits(self.cleaned_data.get(name, "")).strip()

    def clean_phone(self) -> str:
        try:
            return normalize_saudi_mobile(self.cleaned_data["phone"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages[0]) from None

    def clean_postal_code(self) -> str:
        return self._clean_digits("postal_code")

    def clean_building_number(self) -> str:
        return self._clean_digits("building_number")

    def clean_additional_number(self) -> str:
        return self._clean_digits("additional_number")

    def address_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CheckoutForm(SaudiAddressForm):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email", "dir": "ltr"}),
        help_text=_("We send the order confirmation here."),
    )
    save_address = forms.BooleanField(label=_("Save this address to my address book"), required=False)
    # What the shopper saw: product, quantity and price of every line (see cart_fingerprint).
    cart_fingerprint = forms.CharField(widget=forms.HiddenInput)

    class Meta(SaudiAddressForm.Meta):
        fields = ["email", *SaudiAddressForm.Meta.fields]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["dir"] = "ltr"
        if user is None or not user.is_authenticated:
            del self.fields["save_address"]

    def address_data(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SaudiAddressForm.Meta.fields}
