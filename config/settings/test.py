"""Test settings: fast hashing, immediate tasks, in-memory mail, the offline Stripe sandbox."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# Always the offline Stripe sandbox, whatever a developer's .env says (read before base).
os.environ["STRIPE_SECRET_KEY"] = ""
os.environ["STRIPE_PUBLISHABLE_KEY"] = ""
os.environ["STRIPE_SANDBOX"] = "1"
os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_test_0123456789abcdef"

from .base import *  # noqa: E402,F403
from .base import VAR_DIR, env  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "test-media")
# The e2e live server must show product images although DEBUG is off.
SERVE_MEDIA = True
# The page cache off (a page cached in one test would outlive its rolled-back data), except in
# the tests about it; their versions file is this test run's own.
PAGE_CACHE = {**PAGE_CACHE, "ENABLED": env.bool("PAGE_CACHE_ENABLED", default=False),  # noqa: F405
              "VERSIONS": env("PAGE_CACHE_VERSIONS",
                              default=f"file:{VAR_DIR}/test-page-cache/{os.getpid()}.json")}
# Abuse limits off, except in the tests about them (they turn RATELIMIT_ENABLE on).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=False)
