"""Production mode (`config.settings.local` with DJANGO_DEBUG=0) passes Django's deploy check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from apps.invoices.tests.seller import PRODUCTION_SELLER_ENV

BASE_DIR = Path(__file__).resolve().parents[3]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py as an operator would, with only the given shop variables set."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("DJANGO_", "STRIPE_", "DATABASE_URL", "EMAIL_", "ANYMAIL_",
                                    "DEFAULT_FROM_EMAIL", "SHOP_", "POSTMARK_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean,
        capture_output=True, text=True, timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "shop.example",
        # Production takes real payments: a (test-mode) Stripe account's keys.
        "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(24),
        "STRIPE_PUBLISHABLE_KEY": "pk_test_" + secrets.token_hex(24),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
        # ...and real e-mail: a provider, a verified sender, https links, signed tracking.
        "SHOP_BASE_URL": "https://shop.example",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "POSTMARK_SERVER_TOKEN": secrets.token_hex(18),
        "DEFAULT_FROM_EMAIL": "Gulf Emperor <orders@shop.example>",
        "ANYMAIL_WEBHOOK_SECRET": "anymail:" + secrets.token_urlsafe(24),
        # ...and the seller's own details for its tax invoices.
        **PRODUCTION_SELLER_ENV,
    }
    env.update(overrides)
    return env


def test_deploy_check_reports_no_issues():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = manage("check", **env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", ["", "   ", "short", "x" * 60])
def test_production_refuses_to_start_on_an_empty_or_weak_secret_key(key):
    result = manage("check", **production_env(DJANGO_SECRET_KEY=key))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be a long random value" in result.stderr


# An empty value stands for "not set" (a .env file cannot fill in a variable that is set).
@pytest.mark.parametrize(("overrides", "named"), [
    ({"SHOP_BASE_URL": "http://shop.example"}, "SHOP_BASE_URL"),
    ({"SHOP_BASE_URL": ""}, "SHOP_BASE_URL"),
    ({"EMAIL_BACKEND": "apps.emails.backends.EmlFileBackend"}, "EMAIL_FILES_IN_PRODUCTION"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "EMAIL_BACKEND"),
    ({"DEFAULT_FROM_EMAIL": ""}, "DEFAULT_FROM_EMAIL"),
    ({"ANYMAIL_WEBHOOK_SECRET": ""}, "ANYMAIL_WEBHOOK_SECRET"),
], ids=["http-base-url", "default-base-url", "eml-files", "console", "no-sender",
        "unsigned-tracking"])
def test_production_refuses_unsafe_email_settings(overrides, named):
    result = manage("check", **production_env(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


def test_a_demo_shop_may_keep_its_mail_on_disk_when_it_says_so():
    env = production_env(EMAIL_BACKEND="apps.emails.backends.EmlFileBackend",
                         EMAIL_FILES_IN_PRODUCTION="1")

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("overrides", "named"), [
    ({"SHOP_VAT_NUMBER": "300000000000004"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"SHOP_VAT_NUMBER": "31012239350000"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"SHOP_CR_NUMBER": " "}, "SHOP_CR_NUMBER"),
    ({"SHOP_NAME_AR": "م" * 64}, "SHOP_NAME_AR is 128 UTF-8 bytes"),
])
def test_production_refuses_seller_details_no_tax_invoice_may_carry(overrides, named):
    result = manage("check", **production_env(**overrides))
    assert result.returncode != 0
    assert named in result.stderr


def test_production_refuses_to_start_on_the_demo_sellers_details():
    env = production_env()
    del env["SHOP_VAT_NUMBER"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SHOP_VAT_NUMBER" in result.stderr
