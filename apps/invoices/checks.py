"""The seller details every tax invoice carries, checked when the shop starts (runserver,
migrate, `manage.py check`); production settings refuse to start without them."""

from django.conf import settings
from django.core import checks

from apps.invoices.zatca import seller_problems


@checks.register()
def seller_details(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [checks.Error(problem, id="invoices.E001")
            for problem in seller_problems(settings.SHOP_IDENTITY)]
