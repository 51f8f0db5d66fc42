"""The load balancer's probes: liveness is cheap, readiness answers 200 with the database,
the shared cache, the task queue, the e-mail backlog and the Stripe mode, and 503 when the
database or Redis cannot be reached."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.emails.models import EmailKind, EmailRecord

BASE_DIR = Path(__file__).resolve().parents[3]
# Nothing listens on port 1: a connection is refused at once, as with a stopped service.
UNREACHABLE_POSTGRES = "postgres://postgres@127.0.0.1:1/shop"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_caches(url: str) -> dict:
    options = {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2}
    return {alias: {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url,
                    "KEY_PREFIX": alias, "OPTIONS": options}
            for alias in ("default", "shared", "pages")}


@pytest.mark.django_db
def test_liveness_answers_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_with_everything_up(client, settings):
    response = client.get("/health/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "task_queue", "email_backlog", "stripe"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["stripe"]["mode"] == "sandbox"
    assert body["checks"]["email_backlog"] == {**body["checks"]["email_backlog"],
                                               "waiting": 0, "due": 0}
    assert settings.STRIPE_SECRET_KEY not in response.content.decode()
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_stripe_mode_never_shows_the_key(client, settings):
    settings.STRIPE_SANDBOX = False
    settings.STRIPE_SECRET_KEY = "sk_live_" + "x" * 40

    body = client.get("/health/ready/").content.decode()

    assert json.loads(body)["checks"]["stripe"]["mode"] == "live"
    assert "sk_live_" not in body


@pytest.mark.django_db
def test_a_late_email_backlog_degrades_but_keeps_the_machine_in(client, order, settings):
    settings.HEALTH_EMAIL_MAX_AGE_SECONDS = 600
    record = EmailRecord.objects.create(order=order, kind=EmailKind.ORDER_CONFIRMED,
                                        cause="test", to=["noura@example.com"])
    EmailRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(minutes=30))

    response = client.get("/health/ready/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    backlog = body["checks"]["email_backlog"]
    assert backlog["status"] == "warning" and backlog["waiting"] == 1 and backlog["due"] == 1
    assert 1790 < backlog["oldest_due_seconds"] < 1900


@pytest.mark.django_db
def test_a_stalled_task_queue_degrades_and_says_how_long(client, settings):
    from django_tasks_db.models import DBTaskResult

    from apps.emails.tasks import send_email_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HEALTH_TASK_QUEUE_MAX_AGE_SECONDS = 60
    result = send_email_task.enqueue(0)
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=5))

    body = client.get("/health/ready/").json()

    queue = body["checks"]["task_queue"]
    assert body["status"] == "degraded"
    assert queue["status"] == "warning" and queue["backend"] == "database"
    assert 299 < queue["oldest_waiting_seconds"] < 400
    assert "worker" in queue["error"]


@pytest.mark.django_db
def test_readiness_with_redis_up(client, settings):
    settings.CACHES = redis_caches(REDIS)

    response = client.get("/health/ready/")

    assert response.status_code == 200, response.content
    assert response.json()["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_readiness_fails_with_503_when_redis_is_unreachable(client, settings):
    settings.CACHES = redis_caches(UNREACHABLE_REDIS)

    response = client.get("/health/ready/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"


def probe(path: str, **env: str) -> tuple[int, dict]:
    """GET `path` in a fresh process, as a web machine whose settings point at `env`."""
    script = ("import django, json; django.setup(); from django.test import Client; "
              f"r = Client().get({path!r}); print(r.status_code); print(r.content.decode())")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, capture_output=True, text=True,
        timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body)


def test_readiness_fails_with_503_when_postgresql_is_unreachable():
    status, body = probe("/health/ready/", DATABASE_URL=UNREACHABLE_POSTGRES)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "unavailable"
    assert "postgres://" not in json.dumps(body)


def test_liveness_stays_up_while_postgresql_is_unreachable():
    assert probe("/health/live/", DATABASE_URL=UNREACHABLE_POSTGRES) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_a_passing_probe_writes_no_log_line_a_failing_one_does(client, settings, caplog):
    caplog.set_level("INFO", logger="shop.requests")
    client.get("/health/ready/")
    client.get("/health/live/")
    assert not [r for r in caplog.records if r.name == "shop.requests"]

    settings.CACHES = redis_caches(UNREACHABLE_REDIS)
    client.get("/health/ready/")

    lines = [r for r in caplog.records if r.name == "shop.requests"]
    assert [(line.path, line.status) for line in lines] == [("/health/ready/", 503)]


@pytest.mark.django_db
def test_with_rq_a_due_task_no_worker_ran_shows_its_age(client, settings):
    """The scale-out profile (TEST_TASKS=rq): a retry due 10 minutes ago still waits in RQ's
    scheduled registry because no worker's scheduler moved it."""
    from django_tasks import task_backends

    from apps.emails.tasks import send_email_task

    backend_packages = {cls.__module__.split(".")[0]
                        for cls in type(task_backends["default"]).__mro__}
    if "django_tasks_rq" not in backend_packages:
        pytest.skip("the RQ profile only (make test-rq)")
    settings.HEALTH_TASK_QUEUE_MAX_AGE_SECONDS = 300
    send_email_task.using(run_after=timezone.now() - timedelta(minutes=10)).enqueue(0)

    queue = client.get("/health/ready/").json()["checks"]["task_queue"]

    assert queue["backend"] == "rq" and queue["status"] == "warning"
    assert 599 < queue["oldest_waiting_seconds"] < 700
