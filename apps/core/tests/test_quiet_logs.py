"""The console stays readable: routine task lines and the SDK's api.stripe.com lines are not
printed while the offline sandbox answers; warnings and errors always are."""

import logging
from decimal import Decimal

import pytest

from apps.core.logging import QuietRoutineLogs
from apps.payments import gateway


def record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", None, None)


@pytest.mark.parametrize(("name", "level", "shown"), [
    ("django_tasks", logging.INFO, False),
    ("django_tasks_db", logging.INFO, False),
    ("django.tasks", logging.INFO, False),
    ("django_tasks", logging.ERROR, True),  # a failed task
    ("django_tasks_db", logging.WARNING, True),
    ("apps.emails.services", logging.INFO, True),  # "E-mail 3 (refund): sent"
    ("django.server", logging.INFO, True),  # one line per request
])
def test_routine_task_lines_are_dropped_and_problems_kept(name, level, shown):
    assert QuietRoutineLogs().filter(record(name, level)) is shown


@pytest.mark.django_db
def test_sandbox_calls_are_logged_as_sandbox_calls(caplog):
    caplog.set_level(logging.INFO)
    gateway.create_payment_intent(
        amount=Decimal("10.00"), currency="SAR", order_id=1, order_number="GE-2026-000001",
        order_public_id="logs", sequence=1, description="Order GE-2026-000001")

    messages = [r.getMessage() for r in caplog.records]
    assert "Stripe sandbox (offline): POST /v1/payment_intents -> 200" in messages
    assert not any("api.stripe.com" in message for message in messages)
