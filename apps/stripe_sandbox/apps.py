from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StripeSandboxConfig(AppConfig):
    """The offline Stripe sandbox: answers the Stripe API through the SDK's `http_client` hook
    and keeps its state in the database. Only used when settings.STRIPE_SANDBOX is true."""

    name = "apps.stripe_sandbox"
    label = "stripe_sandbox"
    verbose_name = _("Stripe sandbox")
