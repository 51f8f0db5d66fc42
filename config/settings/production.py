"""Production settings: secrets have no default, so a missing one stops start-up."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STRIPE_SANDBOX, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The offline Stripe sandbox takes no real money: never by accident in production.
if STRIPE_SANDBOX and not env.bool("STRIPE_SANDBOX_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured(
        "STRIPE_SECRET_KEY is empty (or STRIPE_SANDBOX=1), so payments would go to the offline "
        "sandbox. Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET, or "
        "STRIPE_SANDBOX_IN_PRODUCTION=1 for a demo shop that takes no money."
    )
if not STRIPE_SANDBOX:
    # A real Stripe account needs its publishable key and its endpoint's secret: no defaults.
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
    if not (STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET.startswith("whsec_")):
        raise ImproperlyConfigured(
            "With STRIPE_SECRET_KEY set, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET "
            "(whsec_...) are required."
        )
