"""Payments fixtures. Webhook payloads are signed here the way Stripe documents it, with
our own HMAC code (not the SDK's, nor that of the offline Stripe)."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.db import connection

from apps.catalog.tests.factories import ProductFactory
from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.models import PaymentStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """@pytest.mark.postgres tests need real row locks: skipped on SQLite."""
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(autouse=True)
def _forget_processed_events():
    """Each test's database starts empty: so must the webhook's memory of processed events
    (a real shop's events are never unprocessed again)."""
    from apps.payments.webhooks import accepted_here

    accepted_here.clear()
    yield
    accepted_here.clear()


def stripe_signature(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe sends it: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@pytest.fixture
def sign(settings):
    def _sign(payload: str, *, age: int = 0, secret: str | None = None) -> str:
        return stripe_signature(
            payload, secret or settings.STRIPE_WEBHOOK_SECRET, int(time.time()) - age
        )

    return _sign


@pytest.fixture
def post_event(client, sign):
    """POST an event to the webhook endpoint, signed like Stripe."""

    def _post(event, *, age: int = 0, signature: str | None = None, path=None):
        payload = event if isinstance(event, str) else json.dumps(event, indent=2)
        return client.post(
            path or "/payments/webhook/stripe/",
            data=payload.encode(),
            content_type="application/json",
            headers={"Stripe-Signature": signature or sign(payload, age=age)},
        )

    return _post


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("100.00"), stock=50)


@pytest.fixture
def order(product):
    """An unpaid order: 1 x 100.00 + 25.00 shipping = 125.00 SAR."""
    return place_test_order(product=product, quantity=1)


@pytest.fixture
def paid(order, card_holder):
    """The 125.00 SAR order (100.00 + 25.00 shipping), paid by card; its payment."""
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


@pytest.fixture
def stripe_client():
    """The real StripeClient the shop uses (its http_client: the offline one in tests)."""
    return gateway.get_client()


EMAIL_TASK = "apps.emails.tasks.send_email_task"


@pytest.fixture
def enqueued():
    """Paths of the tasks enqueued during the test; an e-mail send task is listed as
    "e-mail:<kind>" (e.g. "e-mail:order_confirmed"), so tests count each message queued."""
    from django_tasks.signals import task_enqueued

    from apps.emails.models import EmailRecord

    paths: list[str] = []

    def record(sender, task_result, **kwargs):
        path = task_result.task.module_path
        if path == EMAIL_TASK:
            kind = EmailRecord.objects.filter(pk=task_result.args[0]).values_list(
                "kind", flat=True
            ).first()
            path = f"e-mail:{kind}"
        paths.append(path)

    task_enqueued.connect(record)
    yield paths
    task_enqueued.disconnect(record)
