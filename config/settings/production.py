"""Production settings.

Importing them never fails: a variable production requires that is missing gets a placeholder
that can never serve a customer, so `migrate`, `createcachetable` or `collectstatic` run
before every secret is in place. The system checks of apps/core/checks.py name every missing
or unsafe setting at once (`manage.py check --deploy`; ids and hints in
docs/production-checks.md), and the processes that serve (gunicorn through config/wsgi.py,
`runserver`, the task workers) run them at start-up and refuse to start on an error.
"""

import os
import secrets
from pathlib import Path

import environ

# Before base.py reads the environment: the .env file first (as base.py does; a variable set
# in the environment wins), then production's own defaults. An empty value stands for "not
# set" (a .env file cannot fill in a variable that is set).
environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env", overwrite=False)
# One JSON object a line, with the request id (apps/core/logging.py); LOG_FORMAT=text for a
# person reading a terminal.
os.environ.setdefault("LOG_FORMAT", "json")
# base.py requires the variable to exist; an empty one gets a placeholder below (shop.E001).
os.environ.setdefault("DJANGO_SECRET_KEY", "")
# The seller's details on tax invoices: each one is required (shop.E030). One left unset
# keeps base.py's demo value, which is valid (invoices.E001), so commands still run.
_SELLER_VARIABLES = ("SHOP_NAME_AR", "SHOP_NAME_EN", "SHOP_VAT_NUMBER", "SHOP_CR_NUMBER",
                     "SHOP_ADDRESS_AR", "SHOP_ADDRESS_EN")
SHOP_IDENTITY_UNSET = [name for name in _SELLER_VARIABLES if not os.environ.get(name, "").strip()]
for _name in SHOP_IDENTITY_UNSET:
    os.environ.pop(_name, None)

from .base import *  # noqa: E402,F403
from .base import SECRET_KEY, STRIPE_SANDBOX, env  # noqa: E402

DEBUG = False
# Serving processes run the production checks at start-up (apps/core/checks.py).
SHOP_PRODUCTION = True
# Signed guest links, sessions and password resets all rest on it (shop.E001). Unset: a
# random key only this process knows (nothing signed with it can be forged or outlives it),
# marked insecure so the checks refuse to serve with it.
if not SECRET_KEY.strip():
    SECRET_KEY = "django-insecure-unset-" + secrets.token_urlsafe(50)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])  # shop.E002

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

# The offline Stripe sandbox takes no real money: only when asked for (shop.E010).
STRIPE_SANDBOX_IN_PRODUCTION = env.bool("STRIPE_SANDBOX_IN_PRODUCTION", default=False)
if not STRIPE_SANDBOX:
    # A real Stripe account's publishable key and its endpoint's secret, never the sandbox's
    # defaults (shop.E011, shop.E012).
    STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
    STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")

# E-mail to real customers: a provider (shop.E021), https links (shop.E020), a verified
# sender (shop.E022), signed tracking posts (shop.E023).
EMAIL_FILES_IN_PRODUCTION = env.bool("EMAIL_FILES_IN_PRODUCTION", default=False)
if not env("DEFAULT_FROM_EMAIL", default="").strip():
    DEFAULT_FROM_EMAIL = SERVER_EMAIL = ""  # not base.py's example address
