"""After the runs: what the webhook did in the database to this run's orders (run by
bench/run.py with the deployment's settings). Prints one JSON object.

    python bench/tally.py FIRST_ORDER_ID LAST_ORDER_ID SINCE_ISO_DATETIME
"""

import json
import os
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django_tasks_db.models import DBTaskResult  # noqa: E402

from apps.emails.models import EmailRecord, EmailStatus  # noqa: E402
from apps.orders.models import Order, OrderStatus  # noqa: E402
from apps.payments.models import StripeEvent  # noqa: E402

first, last, since = int(sys.argv[1]), int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
orders = Order.objects.filter(pk__gte=first, pk__lte=last)
intents = orders.values("payments__stripe_payment_intent_id")
events = StripeEvent.objects.filter(payment_intent_id__in=intents)
print(json.dumps({
    "orders": orders.count(),
    "orders_paid": orders.filter(status=OrderStatus.PAID).count(),
    "events_processed": events.filter(processed_at__isnull=False).count(),
    "events_not_processed": events.filter(processed_at__isnull=True).count(),
    "tasks_queued": DBTaskResult.objects.ready().filter(enqueued_at__gte=since).count(),
    "tasks_done": DBTaskResult.objects.exclude(status="READY").count(),
    "emails_sent": EmailRecord.objects.filter(order__in=orders, status=EmailStatus.SENT).count(),
}))
