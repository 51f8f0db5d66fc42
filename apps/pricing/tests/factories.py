from decimal import Decimal

import factory

from apps.pricing.models import ShippingZone


class ShippingZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingZone

    name_ar = factory.Sequence(lambda n: f"منطقة {n}")
    name_en = factory.Sequence(lambda n: f"Zone {n}")
    cities = factory.LazyFunction(list)
    rate = Decimal("25.00")
    free_above = Decimal("400.00")
    is_default = False
