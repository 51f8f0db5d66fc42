"""Production mode (`config.settings.local` with DJANGO_DEBUG=0): incomplete settings never
stop a management command, `check --deploy` names every problem with its id and a hint
(apps/core/checks.py, docs/production-checks.md), and the processes that serve refuse to
start until they are fixed."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core import checks as production_checks
from apps.invoices.tests.seller import PRODUCTION_SELLER_ENV

BASE_DIR = Path(__file__).resolve().parents[3]
SHOP_VARIABLES = ("DJANGO_", "STRIPE_", "DATABASE_URL", "EMAIL_", "ANYMAIL_", "DEFAULT_FROM_EMAIL",
                  "SHOP_", "POSTMARK_", "LOG_")


def clean_env(**env: str) -> dict[str, str]:
    """The process's environment without any shop variable, plus the given ones."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(SHOP_VARIABLES)}
    clean.update(env)
    return clean


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=clean_env(**env),
                          capture_output=True, text=True, timeout=180)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py as an operator would, with only the given shop variables set."""
    return run("manage.py", *args, **env)


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


def nothing_set() -> dict[str, str]:
    """Production mode and nothing else: a new server before its secrets are in place."""
    return {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}


def deploy_check(**env: str) -> subprocess.CompletedProcess:
    return manage("check", "--deploy", **env)


# --- a complete production environment --------------------------------------------------------


def test_deploy_check_reports_no_issues():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_demo_shop_may_keep_its_mail_on_disk_and_use_the_sandbox_when_it_says_so():
    env = production_env(EMAIL_BACKEND="apps.emails.backends.EmlFileBackend",
                         EMAIL_FILES_IN_PRODUCTION="1", STRIPE_SECRET_KEY="",
                         STRIPE_PUBLISHABLE_KEY="", STRIPE_SANDBOX_IN_PRODUCTION="1")

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_web_process_loads_with_complete_settings():
    result = run("-c", "import config.wsgi; print(config.wsgi.application)",
                 **production_env(DJANGO_SETTINGS_MODULE="config.settings.production"))

    assert result.returncode == 0, result.stderr
    assert "WSGIHandler" in result.stdout


# --- incomplete settings: commands run, the checks name every problem ------------------------


def test_migrate_and_createcachetable_run_before_any_secret_is_set(tmp_path):
    env = {**nothing_set(), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    migrated = manage("migrate", "--noinput", **env)
    cache_table = manage("createcachetable", **env)

    assert migrated.returncode == 0, migrated.stderr
    assert "Applying orders.0001_initial... OK" in migrated.stdout
    assert cache_table.returncode == 0, cache_table.stderr


def test_check_deploy_lists_every_problem_at_once_with_its_id_and_hint():
    result = deploy_check(**nothing_set())

    assert result.returncode != 0
    for check_id in ("shop.E001", "shop.E002", "shop.E010", "shop.E020", "shop.E021",
                     "shop.E022", "shop.E023", "shop.E030"):
        assert f"({check_id})" in result.stderr
    assert result.stderr.count("HINT: Set ") >= 8
    assert "python -c 'import secrets; print(secrets.token_urlsafe(64))'" in result.stderr


def test_the_production_checks_are_tagged():
    result = manage("check", "--deploy", "--tag", "production", **nothing_set())

    assert result.returncode != 0
    assert "(shop.E001)" in result.stderr
    assert "security.W" not in result.stderr  # Django's own deployment checks not asked for


@pytest.mark.parametrize("key", [None, "", "   ", "short", "x" * 60,
                                 "django-insecure-" + "a1b2c3d4e5" * 6])
def test_an_unset_empty_or_weak_secret_key_is_reported(key):
    env = production_env()
    if key is None:
        del env["DJANGO_SECRET_KEY"]
    else:
        env["DJANGO_SECRET_KEY"] = key

    result = deploy_check(**env)

    assert result.returncode != 0
    assert "(shop.E001) DJANGO_SECRET_KEY is not set or is weak" in result.stderr
    assert "HINT: Set DJANGO_SECRET_KEY" in result.stderr


def test_missing_allowed_hosts_are_reported():
    env = production_env()
    del env["DJANGO_ALLOWED_HOSTS"]

    result = deploy_check(**env)

    assert "(shop.E002) DJANGO_ALLOWED_HOSTS is not set" in result.stderr


# An empty value stands for "not set" (a .env file cannot fill in a variable that is set).
@pytest.mark.parametrize(("overrides", "check_id", "named"), [
    ({"SHOP_BASE_URL": "http://shop.example"}, "shop.E020", "SHOP_BASE_URL"),
    ({"SHOP_BASE_URL": ""}, "shop.E020", "SHOP_BASE_URL"),
    ({"EMAIL_BACKEND": "apps.emails.backends.EmlFileBackend"}, "shop.E021",
     "EMAIL_FILES_IN_PRODUCTION=1"),
    ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "shop.E021",
     "EMAIL_BACKEND"),
    ({"DEFAULT_FROM_EMAIL": ""}, "shop.E022", "DEFAULT_FROM_EMAIL"),
    ({"ANYMAIL_WEBHOOK_SECRET": ""}, "shop.E023", "ANYMAIL_WEBHOOK_SECRET"),
    ({"STRIPE_PUBLISHABLE_KEY": ""}, "shop.E011", "STRIPE_PUBLISHABLE_KEY"),
    ({"STRIPE_WEBHOOK_SECRET": ""}, "shop.E012", "STRIPE_WEBHOOK_SECRET"),
    ({"STRIPE_WEBHOOK_SECRET": "not-a-signing-secret"}, "shop.E012", "whsec_"),
    ({"STRIPE_SECRET_KEY": ""}, "shop.E010", "STRIPE_SANDBOX_IN_PRODUCTION=1"),
], ids=["http-base-url", "default-base-url", "eml-files", "console", "no-sender",
        "unsigned-tracking", "no-publishable-key", "no-webhook-secret", "not-whsec",
        "sandbox"])
def test_unsafe_payment_and_email_settings_are_reported(overrides, check_id, named):
    result = deploy_check(**production_env(**overrides))

    assert result.returncode != 0
    assert f"({check_id})" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(("overrides", "check_id", "named"), [
    ({"SHOP_VAT_NUMBER": "300000000000004"}, "invoices.E001", "SHOP_VAT_NUMBER must be 15 digits"),
    ({"SHOP_VAT_NUMBER": "31012239350000"}, "invoices.E001", "SHOP_VAT_NUMBER must be 15 digits"),
    ({"SHOP_NAME_AR": "م" * 64}, "invoices.E001", "SHOP_NAME_AR is 128 UTF-8 bytes"),
    ({"SHOP_CR_NUMBER": " "}, "shop.E030", "SHOP_CR_NUMBER is not set"),
    ({"SHOP_VAT_NUMBER": None}, "shop.E030", "SHOP_VAT_NUMBER is not set"),
])
def test_seller_details_no_tax_invoice_may_carry_are_reported(overrides, check_id, named):
    env = production_env(**{key: value for key, value in overrides.items() if value is not None})
    for key in [key for key, value in overrides.items() if value is None]:
        del env[key]

    result = deploy_check(**env)

    assert result.returncode != 0
    assert f"({check_id})" in result.stderr
    assert named in result.stderr


# --- the processes that serve refuse to start ------------------------------------------------


def test_the_web_process_refuses_to_load_with_the_messages():
    env = production_env(DJANGO_SETTINGS_MODULE="config.settings.production",
                         STRIPE_SECRET_KEY="", ANYMAIL_WEBHOOK_SECRET="")
    del env["DJANGO_SECRET_KEY"]

    result = run("-c", "import config.wsgi", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: The shop refuses to serve" in result.stderr
    for check_id in ("shop.E001", "shop.E010", "shop.E023"):
        assert f"{check_id}: " in result.stderr
    assert "HINT: Set ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_runserver_in_production_mode_refuses_to_start():
    env = production_env(STRIPE_SECRET_KEY="", DJANGO_SECRET_KEY="")

    result = manage("runserver", "--noreload", "127.0.0.1:0", **env)

    assert result.returncode != 0
    assert "SystemCheckError" in result.stderr
    assert "(shop.E001)" in result.stderr and "(shop.E010)" in result.stderr


def test_the_task_worker_in_production_mode_refuses_to_start(tmp_path):
    env = production_env(DJANGO_SECRET_KEY="", DATABASE_URL=f"sqlite:///{tmp_path / 'db'}")

    result = manage("db_worker", "--batch", **env)

    assert result.returncode != 0
    assert "(shop.E001)" in result.stderr


# --- the checks themselves, on this process's settings -----------------------------------------


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_a_real_stripe_account_needs_its_publishable_key_and_webhook_secret(settings):
    settings.STRIPE_SANDBOX = False
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = "sandbox"
    assert ids(production_checks.stripe_account()) == ["shop.E011", "shop.E012"]

    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert production_checks.stripe_account() == []


def test_only_a_production_process_that_serves_runs_the_checks_at_start_up(settings):
    settings.SHOP_PRODUCTION = True
    assert production_checks.serving(["manage.py", "runserver"])
    assert production_checks.serving(["manage.py", "db_worker"])
    assert production_checks.serving(["manage.py", "rqworker", "default"])
    assert not production_checks.serving(["manage.py", "migrate"])
    assert not production_checks.serving(["manage.py"])

    del settings.SHOP_PRODUCTION
    assert not production_checks.serving(["manage.py", "runserver"])


def test_the_start_up_guard_names_each_error_with_its_hint(settings):
    settings.ALLOWED_HOSTS = []
    settings.DEFAULT_FROM_EMAIL = " "

    with pytest.raises(ImproperlyConfigured) as refused:
        production_checks.refuse_to_serve()

    message = str(refused.value)
    assert "shop.E002: DJANGO_ALLOWED_HOSTS is not set" in message
    assert "shop.E022: DEFAULT_FROM_EMAIL is not set" in message
    assert message.count("HINT: Set ") >= 2


def test_production_collects_its_static_files(tmp_path):
    """Production's manifest storage refuses a file that names one it cannot find (a
    vendored script's source map): collectstatic must go through, as a deploy runs it."""
    result = manage("collectstatic", "--noinput",
                    **production_env(DJANGO_STATIC_ROOT=str(tmp_path)))

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/chartjs/chart.umd.min.js" in manifest
    assert "js/admin-payment-chart.js" in manifest
