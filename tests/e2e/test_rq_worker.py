"""The scale-out profile end to end: a shopper pays by card in Chromium while a real RQ worker
(`manage.py rqworker ... --with-scheduler`, another process) runs the tasks from Redis: the
sandbox's webhook deliveries, their application, and the order confirmation e-mail, which only
that worker can send (its e-mail backend writes .eml files; this process's is in memory). And
a deferred task (an e-mail retry's `run_after`) waits in RQ's scheduler until it is due.

Runs in the RQ test profile on PostgreSQL only (CI's third pass):
    TEST_TASKS=rq REDIS_URL=redis://127.0.0.1:6379/5 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> pytest tests/e2e/test_rq_worker.py
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from .test_payments import SUCCEEDS, assert_paid, pay_with, place_order

BASE_DIR = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(getattr(django_settings, "TEST_TASKS", "") != "rq",
                       reason="the RQ profile only: TEST_TASKS=rq with REDIS_URL (CI's third "
                              "pass)"),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: the worker is another process, which must "
                              "see the test database"),
]


def _database_url() -> str:
    """The test database (test_<name>), as the worker's DATABASE_URL."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    at = f"{user}{password}@" if user else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{at}{host}{port}/{quote(db['NAME'], safe='')}"


def _wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    details = f"\n--- worker log ---\n{log.read_text()}" if log and log.exists() else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{details}")


@pytest.fixture
def rq_worker(settings, transactional_db, tmp_path):
    """A real `rqworker` on the shop's queues, with the scheduler, against this test's
    database and Redis; this process (and its live server) enqueues for it."""
    import django_rq
    from rq import Worker

    # This process now only enqueues: asynchronous queues, the backend production uses.
    settings.RQ_QUEUES = {
        name: {key: value for key, value in queue.items() if key != "QUEUE_CLASS"}
        | {"ASYNC": True}
        for name, queue in settings.RQ_QUEUES.items()
    }
    settings.TASKS = {"default": {"BACKEND": "apps.core.task_backends.OnCommitRQBackend",
                                  "QUEUES": settings.TASK_QUEUES}}
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "rqworker.log"
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_TASKS": "rq",
        "RQ_ASYNC": "1",
        "REDIS_URL": settings.REDIS_URL,
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "TEST_EMAIL_BACKEND": "apps.emails.backends.EmlFileBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", *settings.TASK_QUEUES,
             "--with-scheduler", "--name", name],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    redis = django_rq.get_connection(settings.TASK_QUEUES[0])
    try:
        _wait_for(
            lambda: worker.poll() is not None
            or any(w.name == name for w in Worker.all(connection=redis)),
            30, "the RQ worker to start", log_path,
        )
        if worker.poll() is not None:
            pytest.fail(f"the RQ worker exited ({worker.returncode}):\n{log_path.read_text()}")
        yield {"process": worker, "name": name, "mail_dir": mail_dir, "log": log_path}
    finally:
        worker.terminate()  # warm shutdown: a job in progress finishes first
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def _jobs_run_by(worker_name: str) -> list[str]:
    """The tasks (module paths) the worker has finished, from RQ's own registry."""
    import django_rq
    from rq.job import Job

    queue = django_rq.get_queue("default")
    paths = []
    for job_id in queue.finished_job_registry.get_job_ids():
        job = Job.fetch(job_id, connection=queue.connection)
        if any(result.worker_name == worker_name for result in job.results()):
            paths.append(job.func_name)
    return paths


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_card_payment_is_confirmed_by_mail_from_the_rq_worker(shopper_factory, rq_worker,
                                                                mailoutbox):
    from apps.emails.models import EmailKind, EmailRecord, EmailStatus
    from apps.payments.models import StripeEvent

    shopper = shopper_factory("ar")
    order = place_order(shopper)

    pay_with(shopper, SUCCEEDS)

    assert_paid(shopper, order)
    shopper.assert_clean()
    # The worker sends the confirmation: the record is marked sent and its .eml file, named
    # after the order, is in the worker's mail folder.
    mail_dir: Path = rq_worker["mail_dir"]
    record = _wait_for(
        lambda: EmailRecord.objects.filter(order=order, kind=EmailKind.ORDER_CONFIRMED,
                                           status=EmailStatus.SENT).first(),
        60, "the order confirmation to be sent", rq_worker["log"],
    )
    files = list(mail_dir.glob(f"*{order.number}*.eml"))
    assert len(files) == 1, sorted(p.name for p in mail_dir.glob("*"))
    eml = files[0].read_bytes().decode("utf-8", "replace")
    assert "payer@example.com" in eml
    assert record.provider == "EML file"
    assert mailoutbox == []  # nothing was sent by this process
    # The sandbox's webhook deliveries went through the worker too, and were applied.
    _wait_for(
        lambda: StripeEvent.objects.filter(type="payment_intent.succeeded",
                                           processed_at__isnull=False).exists(),
        60, "the payment_intent.succeeded event to be applied", rq_worker["log"],
    )
    run = _jobs_run_by(rq_worker["name"])
    assert "apps.emails.tasks.send_email_task" in run, run
    assert "apps.stripe_sandbox.tasks.deliver_sandbox_event" in run, run
    assert "apps.payments.tasks.apply_stripe_event_task" in run, run
    order.refresh_from_db()
    assert order.status == "paid"


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_retried_by_the_workers_scheduler_when_due(rq_worker, order, settings):
    import django_rq
    from rq.registry import ScheduledJobRegistry

    from apps.emails.models import EmailKind, EmailRecord, EmailStatus
    from apps.emails.services import queue_order_email, send_email
    from apps.emails.tests.fakes import FlakyProvider

    rq_tasks = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")
    settings.TASKS = rq_tasks
    # The first attempt, here, meets a provider outage: the retry is deferred (`run_after`)
    # to the worker, whose provider (the .eml folder) is up.
    settings.EMAIL_BACKEND = "apps.emails.tests.fakes.FlakyProvider"
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 2
    FlakyProvider.down, FlakyProvider.calls = True, 0
    try:
        assert send_email(record.pk) == EmailStatus.RETRYING
    finally:
        FlakyProvider.down = False
    record.refresh_from_db()
    scheduled = ScheduledJobRegistry(queue=django_rq.get_queue("default"))
    assert len(scheduled.get_job_ids()) == 1
    # Started before its time the task would send nothing (`_claim` waits for
    # next_attempt_at): the message is sent because the scheduler queued it when due.
    sent = _wait_for(
        lambda: EmailRecord.objects.filter(pk=record.pk, status=EmailStatus.SENT).first(),
        30, "the deferred retry to send the message", rq_worker["log"],
    )
    assert sent.sent_at >= record.next_attempt_at
    assert (sent.attempts, sent.provider, FlakyProvider.calls) == (2, "EML file", 1)
    assert list(rq_worker["mail_dir"].glob(f"*{order.number}*.eml"))
    assert scheduled.get_job_ids() == []
    assert "apps.emails.tasks.send_email_task" in _jobs_run_by(rq_worker["name"])


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_inside_a_transaction_reaches_redis_when_it_commits(rq_worker, order):
    import django_rq
    from django.db import transaction

    from apps.emails.models import EmailKind, EmailRecord, EmailStatus
    from apps.emails.tasks import send_email_task

    queue = django_rq.get_queue("default")

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        record = EmailRecord.objects.create(order=order, kind=EmailKind.ORDER_CONFIRMED,
                                            cause="test:rolled-back", to=[order.email])
        dropped = send_email_task.enqueue(record.pk)
        raise RolledBack
    with transaction.atomic():
        record = EmailRecord.objects.create(order=order, kind=EmailKind.ORDER_CONFIRMED,
                                            cause="test:1", to=[order.email])
        result = send_email_task.enqueue(record.pk)
        # Not in Redis yet: the worker cannot meet a row it cannot see.
        assert queue.fetch_job(result.id) is None

    assert queue.fetch_job(result.id) is not None
    _wait_for(
        lambda: EmailRecord.objects.filter(pk=record.pk, status=EmailStatus.SENT).exists(),
        30, "the committed task's e-mail", rq_worker["log"],
    )
    result.refresh()  # the job's id from the start
    assert result.return_value == EmailStatus.SENT
    assert queue.fetch_job(dropped.id) is None  # rolled back with its transaction
