from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.address import SaudiAddressForm
from apps.users.models import Address


class AddressBookForm(SaudiAddressForm):
    label = forms.CharField(label=_("Label"), max_length=50, required=False,
                            help_text=_("e.g. Home, Office"))
    make_default = forms.BooleanField(label=_("Use as my default address"), required=False)

    class Meta(SaudiAddressForm.Meta):
        model = Address
