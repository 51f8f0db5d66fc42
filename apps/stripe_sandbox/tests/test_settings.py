"""The sandbox never takes over a production shop by accident."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from apps.invoices.tests.seller import PRODUCTION_SELLER_ENV

BASE_DIR = Path(__file__).resolve().parents[3]


def production_settings(code: str | None = None, **env) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("STRIPE_", "DJANGO_", "EMAIL_", "ANYMAIL_", "DEFAULT_FROM_EMAIL",
                               "SHOP_BASE_URL"))
    }
    environment.update({
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "shop.example",
        # Safe e-mail settings (apps/core/tests/test_production_settings.py tests those).
        "SHOP_BASE_URL": "https://shop.example",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "DEFAULT_FROM_EMAIL": "orders@shop.example",
        "ANYMAIL_WEBHOOK_SECRET": "anymail:secret",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "STRIPE_SANDBOX_IN_PRODUCTION": "0",
        **PRODUCTION_SELLER_ENV,
        **env,
    })
    code = code or ("import config.settings.production as s; "
                    "print(s.STRIPE_SANDBOX, s.STRIPE_WEBHOOK_SECRET)")
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environment,
                          capture_output=True, text=True, timeout=60)


# Production settings import whatever the environment says; the deployment checks (which the
# web process and the workers run at start-up) refuse (apps/core/checks.py).
DEPLOY_CHECK = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
import django
django.setup()
from django.core.management import call_command
call_command("check", "--deploy", "--tag", "production")
"""


def test_production_refuses_the_sandbox():
    result = production_settings(code=DEPLOY_CHECK)
    assert result.returncode != 0
    assert "(shop.E010)" in result.stderr
    assert "STRIPE_SANDBOX_IN_PRODUCTION" in result.stderr


def test_production_sandbox_when_explicitly_enabled():
    result = production_settings(STRIPE_SANDBOX_IN_PRODUCTION="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")
    checked = production_settings(code=DEPLOY_CHECK, STRIPE_SANDBOX_IN_PRODUCTION="1")
    assert checked.returncode == 0, checked.stderr


def test_production_with_a_real_account_needs_its_webhook_secret():
    missing = production_settings(code=DEPLOY_CHECK, STRIPE_SECRET_KEY="sk_live_abc",
                                  STRIPE_WEBHOOK_SECRET="", STRIPE_PUBLISHABLE_KEY="pk_live_abc")
    assert missing.returncode != 0
    assert "(shop.E012)" in missing.stderr

    ok = production_settings(STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_real",
                             STRIPE_PUBLISHABLE_KEY="pk_live_abc")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "False whsec_real"
    checked = production_settings(code=DEPLOY_CHECK, STRIPE_SECRET_KEY="sk_live_abc",
                                  STRIPE_WEBHOOK_SECRET="whsec_real",
                                  STRIPE_PUBLISHABLE_KEY="pk_live_abc")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("key", "sandbox"), [("", True), ("sk_test_123", False)])
def test_sandbox_defaults_to_on_without_a_secret_key(key, sandbox):
    code = "import config.settings.base as s; print(s.STRIPE_SANDBOX)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    environment.update({"DJANGO_SECRET_KEY": "x" * 60, "STRIPE_SECRET_KEY": key})
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == str(sandbox), result.stderr


# Starts the whole project as the web process would: settings, every app, the URLconf, the
# payment views and the Stripe client; then lists the sandbox modules that got imported.
LOADED_SANDBOX_MODULES = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import config.wsgi
from apps.payments import gateway, views
gateway.get_client()
print(sorted(name for name in sys.modules if "sandbox" in name))
"""


def test_with_a_secret_key_no_sandbox_module_is_imported():
    result = production_settings(
        code=LOADED_SANDBOX_MODULES, STRIPE_SECRET_KEY="sk_live_abc",
        STRIPE_PUBLISHABLE_KEY="pk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_real",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_without_a_key_the_sandbox_is_what_gets_loaded():
    """The same probe finds the sandbox when it is on, so the test above can fail."""
    result = production_settings(code=LOADED_SANDBOX_MODULES, STRIPE_SANDBOX_IN_PRODUCTION="1")
    assert result.returncode == 0, result.stderr
    assert "apps.stripe_sandbox.http_client" in result.stdout
