"""The sandbox never takes over a production shop by accident."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]


def production_settings(**env) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("STRIPE_", "DJANGO_", "EMAIL_", "ANYMAIL_", "DEFAULT_FROM_EMAIL",
                               "SHOP_BASE_URL"))
    }
    environment.update({
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "shop.example",
        # Safe e-mail settings (apps/core/tests/test_production_settings.py tests those).
        "SHOP_BASE_URL": "https://shop.example",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "DEFAULT_FROM_EMAIL": "orders@shop.example",
        "ANYMAIL_WEBHOOK_SECRET": "anymail:secret",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "STRIPE_SANDBOX_IN_PRODUCTION": "0",
        **env,
    })
    code = ("import config.settings.production as s; "
            "print(s.STRIPE_SANDBOX, s.STRIPE_WEBHOOK_SECRET)")
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_production_refuses_the_sandbox():
    result = production_settings()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "STRIPE_SANDBOX_IN_PRODUCTION" in result.stderr


def test_production_sandbox_when_explicitly_enabled():
    result = production_settings(STRIPE_SANDBOX_IN_PRODUCTION="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")


def test_production_with_a_real_account_needs_its_webhook_secret():
    missing = production_settings(STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="",
                                  STRIPE_PUBLISHABLE_KEY="pk_live_abc")
    assert missing.returncode != 0
    assert "ImproperlyConfigured" in missing.stderr

    ok = production_settings(STRIPE_SECRET_KEY="sk_live_abc", STRIPE_WEBHOOK_SECRET="whsec_real",
                             STRIPE_PUBLISHABLE_KEY="pk_live_abc")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "False whsec_real"


@pytest.mark.parametrize(("key", "sandbox"), [("", True), ("sk_test_123", False)])
def test_sandbox_defaults_to_on_without_a_secret_key(key, sandbox):
    code = "import config.settings.base as s; print(s.STRIPE_SANDBOX)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    environment.update({"DJANGO_SECRET_KEY": "x" * 60, "STRIPE_SECRET_KEY": key})
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == str(sandbox), result.stderr
