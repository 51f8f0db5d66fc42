"""What production needs before it serves a customer, as Django system checks (ids and hints:
docs/production-checks.md).

`config/settings/production.py` reads the environment with safe placeholders, so importing
the settings never fails and `migrate`, `collectstatic` or `createcachetable` run while the
secrets are still missing. The checks are the guard instead:

* `manage.py check --deploy` reports every problem at once (tag "production");
* the processes that serve (gunicorn through `config/wsgi.py`, `runserver` and the task
  workers) run them at start-up and refuse to start on an error.

The seller's tax details are checked where tax invoices live (`invoices.E001`, every
process); production's own rule, that each of them is set, is `shop.E030` here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "production"

# Commands that serve customers or run their tasks: with production settings they run these
# checks with the ordinary ones at start-up (and so refuse to start), instead of only under
# `check --deploy`. gunicorn goes through config/wsgi.py (`refuse_to_serve`).
SERVING_COMMANDS = frozenset({"runserver", "db_worker", "rqworker", "rqworker-pool"})

LOCAL_EMAIL_BACKENDS = frozenset({
    "apps.emails.backends.EmlFileBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
})
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_CHARACTERS = 5


def secret_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Signed guest links, sessions and password resets all rest on it. Unset, production
    # settings put a throwaway "django-insecure-" key in its place.
    key = str(settings.SECRET_KEY or "")
    if (len(key.strip()) >= SECRET_KEY_MIN_LENGTH and len(set(key)) >= SECRET_KEY_MIN_CHARACTERS
            and not key.startswith("django-insecure-")):
        return []
    return [checks.Error(
        f"DJANGO_SECRET_KEY is not set or is weak: it must be a long random value (at least "
        f"{SECRET_KEY_MIN_LENGTH} characters).",
        hint="Set DJANGO_SECRET_KEY to the output of "
             "python -c 'import secrets; print(secrets.token_urlsafe(64))' "
             "(and keep it: changing it signs every customer out and breaks guest links).",
        id="shop.E001",
    )]


def allowed_hosts(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.ALLOWED_HOSTS:
        return []
    return [checks.Error(
        "DJANGO_ALLOWED_HOSTS is not set: the shop would answer every request with 400.",
        hint="Set DJANGO_ALLOWED_HOSTS to the shop's host names, comma-separated "
             "(e.g. shop.example,www.shop.example).",
        id="shop.E002",
    )]


def stripe_account(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.STRIPE_SANDBOX:
        # The offline sandbox takes no real money: never by accident in production.
        if getattr(settings, "STRIPE_SANDBOX_IN_PRODUCTION", False):
            return []
        return [checks.Error(
            "STRIPE_SECRET_KEY is empty (or STRIPE_SANDBOX=1), so payments would go to the "
            "offline Stripe sandbox: no customer would really pay.",
            hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET of "
                 "the shop's Stripe account; or STRIPE_SANDBOX_IN_PRODUCTION=1 for a demo shop "
                 "that takes no money.",
            id="shop.E010",
        )]
    errors = []
    if not settings.STRIPE_PUBLISHABLE_KEY:
        errors.append(checks.Error(
            "STRIPE_PUBLISHABLE_KEY is not set: the payment page cannot load Stripe.js.",
            hint="Set STRIPE_PUBLISHABLE_KEY (pk_live_... or pk_test_..., Stripe Dashboard -> "
                 "Developers -> API keys), of the same account as STRIPE_SECRET_KEY.",
            id="shop.E011",
        ))
    if not str(settings.STRIPE_WEBHOOK_SECRET or "").startswith("whsec_"):
        errors.append(checks.Error(
            "STRIPE_WEBHOOK_SECRET is not set (or is not a whsec_... signing secret): every "
            "Stripe event would be refused, so no payment would be recorded.",
            hint="Set STRIPE_WEBHOOK_SECRET to the signing secret (whsec_...) of the shop's "
                 "webhook endpoint (Stripe Dashboard -> Developers -> Webhooks).",
            id="shop.E012",
        ))
    return errors


def email_delivery(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Real customers get real messages, with links they can trust and a sender the provider
    # has verified; tracking posts are authenticated.
    errors = []
    if not settings.SHOP_BASE_URL.startswith("https://"):
        errors.append(checks.Error(
            f"SHOP_BASE_URL must be the shop's https:// address (links in e-mails start with "
            f"it); it is {settings.SHOP_BASE_URL!r}.",
            hint="Set SHOP_BASE_URL, e.g. https://shop.example.",
            id="shop.E020",
        ))
    if (settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS
            and not getattr(settings, "EMAIL_FILES_IN_PRODUCTION", False)):
        errors.append(checks.Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, so no customer would get any e-mail.",
            hint="Set EMAIL_BACKEND to an anymail backend and its keys (docs/emails.md), e.g. "
                 "anymail.backends.postmark.EmailBackend with POSTMARK_SERVER_TOKEN; or "
                 "EMAIL_FILES_IN_PRODUCTION=1 for a demo shop whose mail stays on disk.",
            id="shop.E021",
        ))
    if not str(settings.DEFAULT_FROM_EMAIL or "").strip():
        errors.append(checks.Error(
            "DEFAULT_FROM_EMAIL is not set (the built-in default is an example address).",
            hint="Set DEFAULT_FROM_EMAIL to an address of the domain verified at the e-mail "
                 "provider, e.g. \"Gulf Emperor <orders@shop.example>\".",
            id="shop.E022",
        ))
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        errors.append(checks.Error(
            "ANYMAIL_WEBHOOK_SECRET is not set: anymail would accept unauthenticated posts on "
            "its tracking webhooks (/anymail/...).",
            hint="Set ANYMAIL_WEBHOOK_SECRET to \"user:long-random-password\" and give the "
                 "provider's webhook URL those credentials (docs/emails.md).",
            id="shop.E023",
        ))
    return errors


def seller_details_set(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Tax invoices carry the seller's own details, never the demo's. Production settings list
    # the variables left unset (their demo values stand in); whether the values are valid is
    # invoices.E001's rule.
    unset = list(getattr(settings, "SHOP_IDENTITY_UNSET", []))
    if not unset:
        return []
    return [checks.Error(
        f"The seller's details on tax invoices are the demo's: {', '.join(unset)} "
        f"{'is' if len(unset) == 1 else 'are'} not set.",
        hint="Set SHOP_NAME_AR, SHOP_NAME_EN, SHOP_VAT_NUMBER (15 digits, first and last a 3), "
             "SHOP_CR_NUMBER, SHOP_ADDRESS_AR and SHOP_ADDRESS_EN to the seller's registered "
             "details (docs/invoices.md).",
        id="shop.E030",
    )]


PRODUCTION_CHECKS: Sequence[Callable[..., list[checks.CheckMessage]]] = (
    secret_key, allowed_hosts, stripe_account, email_delivery, seller_details_set,
)


def serving(argv: Sequence[str] | None = None) -> bool:
    """Whether this process is a production process that serves (see SERVING_COMMANDS)."""
    argv = sys.argv if argv is None else argv
    return getattr(settings, "SHOP_PRODUCTION", False) and len(argv) > 1 and (
        argv[1] in SERVING_COMMANDS)


def register(argv: Sequence[str] | None = None) -> None:
    """Called once by CoreConfig.ready(): deployment checks, run by `check --deploy` (and by
    config/wsgi.py); ordinary ones, run at start-up, in a production process that serves."""
    deploy = not serving(argv)
    for check in PRODUCTION_CHECKS:
        checks.register(check, TAG, deploy=deploy)


def refuse_to_serve() -> None:
    """What config/wsgi.py runs in production before it hands the application to gunicorn:
    every check, the deployment ones included; any error stops the process, with every
    message in the exception (gunicorn prints it and exits)."""
    errors = sorted((message for message in checks.run_checks(include_deployment_checks=True)
                     if message.is_serious() and not message.is_silenced()),
                    key=lambda message: message.id or "")
    if errors:
        raise ImproperlyConfigured(
            "The shop refuses to serve with these settings (docs/production-checks.md):\n"
            + "\n".join(f"{error.id}: {error.msg}" + (f"\n    HINT: {error.hint}" if error.hint
                                                      else "")
                        for error in errors)
        )
