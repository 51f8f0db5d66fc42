from django.conf import settings
from django.utils import translation


def shop(request):
    """Shop identity for the footer and e-mails, in the active language."""
    identity = settings.SHOP_IDENTITY
    is_arabic = (translation.get_language() or "ar").startswith("ar")
    return {
        "shop": {
            "name": identity["name_ar"] if is_arabic else identity["name_en"],
            "address": identity["address_ar"] if is_arabic else identity["address_en"],
            "commercial_registration": identity["commercial_registration"],
            "vat_number": identity["vat_number"],
            "email": identity["email"],
            "phone": identity["phone"],
            "currency": settings.SHOP_CURRENCY,
        }
    }
