"""Webhook throughput: fresh events, redelivered (duplicate) events, and a baseline view that
only verifies the signature.

    .venv/bin/python bench/webhook_bench.py [--events 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/webhook_bench.py

Runs in a throwaway test database (SQLite in memory by default), through Django's test client
and the real URL, middleware and view; prints events per second and the ratio to the
verify-only baseline.
"""

import argparse
import json
import logging
import os
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import stripe  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from apps.payments.tests.fixtures import stripe_signature  # noqa: E402
from config import urls as project_urls  # noqa: E402


@csrf_exempt
def verify_only(request):
    """The floor: what any webhook endpoint must do before anything else."""
    try:
        stripe.WebhookSignature.verify_header(
            request.body, request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET, tolerance=300,
        )
        json.loads(request.body)
    except (stripe.SignatureVerificationError, ValueError):
        return HttpResponse(status=400)
    return HttpResponse("ok")


urlpatterns = [path("bench/verify-only/", verify_only), *project_urls.urlpatterns]


def prepare_payments(count: int):
    """`count` unpaid orders, each with its PaymentIntent (sandbox)."""
    from apps.catalog.tests.factories import ProductFactory
    from apps.payments.services.intents import start_payment
    from apps.payments.tests.factories import place_test_order

    product = ProductFactory(price=Decimal("100.00"), stock=count + 10)
    return [start_payment(order=place_test_order(product=product)) for _ in range(count)]


def succeeded_event(payment) -> str:
    from apps.payments.tests.factories import event_payload, intent_payload

    intent = intent_payload(payment, status="succeeded", latest_charge=f"ch_{uuid.uuid4().hex}")
    return json.dumps(event_payload("payment_intent.succeeded", intent), indent=2)


def post_all(client: Client, url: str, payloads: list[str]) -> float:
    secret = settings.STRIPE_WEBHOOK_SECRET
    signed = [(payload.encode(), stripe_signature(payload, secret)) for payload in payloads]
    start = time.perf_counter()
    for body, signature in signed:
        response = client.post(url, data=body, content_type="application/json",
                               headers={"Stripe-Signature": signature})
        assert response.status_code == 200, (response.status_code, response.content)
    return len(payloads) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()

    logging.disable(logging.INFO)  # one log line per event would dominate the timing
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        # As in production: side effects (e-mails) are only queued in the task table; the
        # worker sends them later, outside the webhook's response time.
        with override_settings(
            ROOT_URLCONF=__name__,
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        ):
            client = Client()
            payments = prepare_payments(args.events)
            fresh = [succeeded_event(payment) for payment in payments]
            duplicate = [fresh[0]] * args.events

            post_all(client, "/bench/verify-only/", fresh[:50])  # warm-up
            baseline = max(post_all(client, "/bench/verify-only/", fresh) for _ in range(3))
            fresh_rate = post_all(client, "/payments/webhook/stripe/", fresh)
            duplicate_rate = post_all(client, "/payments/webhook/stripe/", duplicate)

        print(f"database: {connection.vendor}, events per run: {args.events}")
        print(f"verify-only view      {baseline:8.0f} events/s  (1.00x)")
        print(f"fresh events          {fresh_rate:8.0f} events/s  "
              f"({fresh_rate / baseline:.2f}x of verify-only)")
        print(f"duplicate events      {duplicate_rate:8.0f} events/s  "
              f"({duplicate_rate / baseline:.2f}x of verify-only)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
