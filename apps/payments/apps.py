from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Stripe payments (PaymentIntents, webhooks, offline sandbox): see issue 3."""

    name = "apps.payments"
    label = "payments"
    verbose_name = _("Payments")
