"""Production settings: secrets have no default, so a missing one stops start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ANYMAIL, EMAIL_BACKEND, SHOP_BASE_URL, SHOP_IDENTITY, STRIPE_SANDBOX, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
# Signed guest links, sessions and password resets all rest on it: an empty or short key is
# refused, never just warned about.
if len(SECRET_KEY.strip()) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be a long random value (at least 50 characters), e.g. from "
        "python -c 'import secrets; print(secrets.token_urlsafe(64))'."
    )
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

# E-mail: real customers get real messages, with links they can trust and a sender the
# provider has verified; tracking posts are authenticated.
if not SHOP_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        f"SHOP_BASE_URL must be the shop's https:// address (links in e-mails start with it); "
        f"it is {SHOP_BASE_URL!r}."
    )
LOCAL_EMAIL_BACKENDS = {
    "apps.emails.backends.EmlFileBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS and not env.bool(
    "EMAIL_FILES_IN_PRODUCTION", default=False
):
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND is {EMAIL_BACKEND}, so no customer would get any e-mail. Set an anymail "
        "backend and its keys (docs/emails.md), or EMAIL_FILES_IN_PRODUCTION=1 for a demo shop "
        "whose mail stays on disk."
    )
if not os.environ.get("DEFAULT_FROM_EMAIL", "").strip():
    raise ImproperlyConfigured(
        "DEFAULT_FROM_EMAIL is required: an address of the domain verified at the e-mail "
        "provider (the built-in default is an example address)."
    )
if not ANYMAIL.get("WEBHOOK_SECRET"):
    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET (\"user:long-random-password\") is required: without it "
        "anymail accepts unauthenticated posts on its tracking webhooks (/anymail/...)."
    )

# Tax invoices carry the seller's own details, never the demo's: each is required, and the
# VAT number, the names (QR code) and the CR number must be valid (apps/invoices/zatca.py).
from apps.invoices.zatca import seller_problems  # noqa: E402

SHOP_IDENTITY = {**SHOP_IDENTITY, **{key: env(setting) for key, setting in (
    ("name_ar", "SHOP_NAME_AR"), ("name_en", "SHOP_NAME_EN"),
    ("vat_number", "SHOP_VAT_NUMBER"), ("commercial_registration", "SHOP_CR_NUMBER"),
    ("address_ar", "SHOP_ADDRESS_AR"), ("address_en", "SHOP_ADDRESS_EN"),
)}}
if seller_problems(SHOP_IDENTITY):
    raise ImproperlyConfigured(" ".join(seller_problems(SHOP_IDENTITY)))
