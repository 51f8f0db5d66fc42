"""Saudi national address: the fields, their validation and normalisation.

Shared by order snapshots and the customer address book (each with its own model and form),
so both validate the same way: one home, below both.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.text import to_ascii_digits


class City(models.TextChoices):
    RIYADH = "riyadh", _("Riyadh")
    JEDDAH = "jeddah", _("Jeddah")
    MAKKAH = "makkah", _("Makkah")
    MADINAH = "madinah", _("Madinah")
    DAMMAM = "dammam", _("Dammam")
    KHOBAR = "khobar", _("Al Khobar")
    DHAHRAN = "dhahran", _("Dhahran")
    JUBAIL = "jubail", _("Jubail")
    AL_AHSA = "al_ahsa", _("Al Ahsa")
    TAIF = "taif", _("Taif")
    TABUK = "tabuk", _("Tabuk")
    BURAIDAH = "buraidah", _("Buraidah")
    HAIL = "hail", _("Hail")
    ABHA = "abha", _("Abha")
    KHAMIS_MUSHAIT = "khamis_mushait", _("Khamis Mushait")
    JAZAN = "jazan", _("Jazan")
    NAJRAN = "najran", _("Najran")
    YANBU = "yanbu", _("Yanbu")
    AL_BAHA = "al_baha", _("Al Baha")
    ARAR = "arar", _("Arar")
    SAKAKA = "sakaka", _("Sakaka")


_SAUDI_MOBILE = re.compile(r"^(?:\+?966|00966|0)?(5[0-9]{8})$")


def normalize_saudi_mobile(value: str) -> str:
    """'05x xxx xxxx', '+966 5x…', '٠٥…' -> '+9665XXXXXXXX'; anything else is an error."""
    compact = re.sub(r"[\s\-().]", "", to_ascii_digits(value or ""))
    match = _SAUDI_MOBILE.match(compact)
    if not match:
        raise ValidationError(
            _("Enter a Saudi mobile number such as 05XXXXXXXX."), code="invalid_mobile"
        )
    return "+966" + match.group(1)


def validate_saudi_mobile(value: str) -> None:
    normalize_saudi_mobile(value)


# [0-9], not \d: \d also matches Arabic-Indic digits, which forms convert before this runs.
validate_postal_code = RegexValidator(r"^[0-9]{5}$", _("The postal code is 5 digits."))
validate_building_number = RegexValidator(r"^[0-9]{4}$", _("The building number is 4 digits."))
validate_additional_number = RegexValidator(
    r"^[0-9]{4}$", _("The additional number is 4 digits.")
)


class SaudiAddressFields(models.Model):
    full_name = models.CharField(_("full name"), max_length=120)
    phone = models.CharField(
        _("mobile"), max_length=13, validators=[validate_saudi_mobile],
        help_text=_("Saudi mobile, e.g. 05XXXXXXXX"),
    )
    city = models.CharField(_("city"), max_length=30, choices=City.choices)
    district = models.CharField(_("district"), max_length=80)
    street = models.CharField(_("street"), max_length=120)
    building_number = models.CharField(
        _("building number"), max_length=4, validators=[validate_building_number]
    )
    postal_code = models.CharField(_("postal code"), max_length=5, validators=[validate_postal_code])
    additional_number = models.CharField(
        _("additional number"), max_length=4, blank=True, validators=[validate_additional_number]
    )

    class Meta:
        abstract = True

    ADDRESS_FIELDS = (
        "full_name", "phone", "city", "district", "street",
        "building_number", "postal_code", "additional_number",
    )

    def address_data(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.ADDRESS_FIELDS}


class SaudiAddressForm(forms.ModelForm):
    """Delivery address fields, normalised: Arabic digits accepted, mobile stored +9665XXXXXXXX.

    A base for model forms of `SaudiAddressFields` models: subclasses set `Meta.model`."""

    # Wider than the stored 13 characters: shoppers type spaces, dashes and "00966".
    phone = forms.CharField(
        label=_("Mobile"), max_length=20, help_text=_("Saudi mobile, e.g. 05XXXXXXXX"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "dir": "ltr"}),
    )

    class Meta:
        # Each subclass names its model (an order's snapshot, an address-book entry).
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
