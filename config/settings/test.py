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
# The scale-out profile (`make test-rq`, CI's third pass): TEST_TASKS=rq with REDIS_URL runs
# every task through django-tasks-rq: RQ's jobs, serialisation and Redis, on synchronous
# queues that run a job inside `enqueue`, in the test's process (apps/core/tests/rq.py);
# deferred ones wait in RQ's scheduled registry. Caches and sessions are Redis too (base).
# REDIS_URL's database is emptied before each test (conftest.py): give it one of its own.
# RQ_ASYNC=1 leaves the jobs to a real `manage.py rqworker` (tests/e2e/test_rq_worker.py
# starts one with these settings).
TEST_TASKS = env("TEST_TASKS", default="immediate")
if TEST_TASKS == "rq":
    from django.core.exceptions import ImproperlyConfigured

    from .base import REDIS_URL, TASK_QUEUES

    if not REDIS_URL:
        raise ImproperlyConfigured("TEST_TASKS=rq needs REDIS_URL (e.g. redis://127.0.0.1:6379/5)")
    RQ_ASYNC = env.bool("RQ_ASYNC", default=False)
    TASKS = {"default": {
        "BACKEND": "apps.core.task_backends.OnCommitRQBackend" if RQ_ASYNC
        else "apps.core.tests.rq.SynchronousRQBackend",
        "QUEUES": TASK_QUEUES,
    }}
    RQ_QUEUES = {name: queue | {"ASYNC": RQ_ASYNC}  # noqa: F405
                 | ({} if RQ_ASYNC else {"QUEUE_CLASS": "apps.core.tests.rq.ThreadSafeQueue"})
                 for name, queue in RQ_QUEUES.items()}  # noqa: F405
    # The e2e worker writes its e-mails where the test reads them (locmem is per process).
    EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default=EMAIL_BACKEND)
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
