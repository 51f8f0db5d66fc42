from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Stripe payments: PaymentIntents, webhooks, refunds, disputes (docs/payments.md)."""

    name = "apps.payments"
    label = "payments"
    verbose_name = _("Payments")
