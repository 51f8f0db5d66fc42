"""Data for the benchmark, in the throwaway deployment's database (run by bench/run.py with
DJANGO_SETTINGS_MODULE=bench.settings, after migrate and seed_demo).

    python bench/prepare.py OUT_DIR --events 6000 --warm 20

* Picks the category page to load: one showing a full listing page (12 products), or the one
  with the most products, which then gets demo products added (Wagtail pages, as seed_demo
  makes them) until it shows 12.
* Creates unpaid orders, each with the Payment row of its PaymentIntent, as `place_order`
  and `start_payment` store them (same fields and values: server-computed totals, order
  number from the shared counter, stock reserved, the "order placed" status change, the
  payment for the order's total with its idempotency key), in bulk because 6,000 checkouts
  one by one would take minutes. The webhook finds and applies them like any other.
* Writes one `payment_intent.succeeded` event per order (shapes from
  apps/payments/tests/factories.py, pretty-printed as Stripe sends them), unsigned: run.py
  signs them right before each run (signatures expire after 300 s).

Writes OUT_DIR/prepared.json (URLs, counts, settings worth printing) and OUT_DIR/events/
{fresh,warm,duplicate}.jsonl, one JSON string (the request body) per line.
"""

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402
from wagtail.models import Locale  # noqa: E402

from apps.catalog.models import CategoryPage, Product, ProductPage  # noqa: E402
from apps.core.money import quantize  # noqa: E402
from apps.orders.models import (  # noqa: E402
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderStatusChange,
    StatusReason,
)
from apps.payments import gateway  # noqa: E402
from apps.payments.models import Payment  # noqa: E402
from apps.payments.tests.factories import event_payload, intent_payload  # noqa: E402
from apps.pricing.selectors import compute_totals  # noqa: E402

LISTING_SIZE = CategoryPage.products_per_page  # 12
# A delivery address as the checkout form cleans it (Riyadh).
ADDRESS = {
    "full_name": "نورة العتيبي",
    "phone": "+966512345678",
    "city": "riyadh",
    "district": "العليا",
    "street": "طريق الملك فهد",
    "building_number": "1234",
    "postal_code": "12211",
    "additional_number": "",
}
BENCH_PRODUCTS = [  # (Arabic name, English name, price) of demo products the bench may add
    ("عود بخور بنش", "Bench oud chips", "135.00"),
    ("مسك الطهارة", "Tahara musk", "45.00"),
    ("عطر العنبر", "Amber perfume", "310.00"),
    ("دهن الورد", "Rose oil", "220.00"),
    ("بخور الكلمات", "Kalimat bakhoor", "95.00"),
    ("عطر الزعفران", "Saffron perfume", "275.00"),
    ("مبخرة كهربائية", "Electric incense burner", "180.00"),
    ("عود هندي", "Indian oud", "650.00"),
    ("معطر مفارش", "Linen spray", "55.00"),
    ("عطر الصندل", "Sandalwood perfume", "240.00"),
    ("بخور اللبان", "Frankincense", "70.00"),
    ("عطر الياسمين", "Jasmine perfume", "190.00"),
]


def listing_counts() -> list[tuple[CategoryPage, int]]:
    arabic = Locale.objects.get(language_code="ar")
    categories = CategoryPage.objects.live().filter(locale=arabic).order_by("path")
    return [(category, ProductPage.objects.live().child_of(category).count())
            for category in categories]


def category_with_full_listing() -> dict:
    """The category to load, with LISTING_SIZE products (added when the demo has fewer)."""
    counts = listing_counts()
    if not counts:
        raise SystemExit("No category page: did seed_demo run?")
    full = [(category, count) for category, count in counts if count >= LISTING_SIZE]
    category, count = full[0] if full else max(counts, key=lambda pair: pair[1])
    added = []
    if count < LISTING_SIZE:
        added = add_demo_products(category, LISTING_SIZE - count)
        count = ProductPage.objects.live().child_of(category).count()
    return {
        "url": category.get_url(),
        "title": category.title,
        "products": count,
        "shown": min(count, LISTING_SIZE),
        "added": added,
        "all": {c.get_url(): n for c, n in counts},
    }


def add_demo_products(category: CategoryPage, missing: int) -> list[str]:
    """Demo products in `category`, made the way seed_demo makes them (a Product record with a
    generated image, an Arabic page and its English translation). Idempotent by SKU."""
    from apps.demo.management.commands.seed_demo import Command, make_image

    seed = Command()
    english = Locale.objects.get(language_code="en")
    added = []
    with transaction.atomic():
        for index, (name_ar, name_en, price) in enumerate(BENCH_PRODUCTS[:missing]):
            sku = f"GE-BENCH-{index + 1:03d}"
            product = Product.objects.filter(sku=sku).first() or Product.objects.create(
                sku=sku, price=Decimal(price), stock=100,
                image=make_image(sku, (92, 52, 32)),
            )
            page = seed.child(category, ProductPage, sku.lower(), title=name_ar, product=product,
                              summary=name_ar, description=f"<p>{name_ar}</p>")
            seed.translate(page, english, title=name_en, summary=name_en,
                           description=f"<p>{name_en}</p>")
            added.append(sku)
    return added


def product_to_order(category_url: str) -> ProductPage:
    """The product page to load, and whose product the prepared orders buy: the first one
    in stock in the loaded category."""
    category = next(c for c, _n in listing_counts() if c.get_url() == category_url)
    page = (ProductPage.objects.live().child_of(category).select_related("product")
            .filter(product__is_active=True, product__stock__gt=0).order_by("path").first())
    if page is None:
        raise SystemExit(f"No product in stock under {category_url}")
    return page


def place_orders(product: Product, count: int) -> list[Payment]:
    """`count` orders of one unit of `product`, each with the Payment of its PaymentIntent,
    with the values place_order and start_payment store (see the module docstring)."""
    totals = compute_totals(lines=[(product.price, 1)], city=ADDRESS["city"])
    names = product.names()
    now = timezone.now()
    with transaction.atomic():
        # The units the orders reserve are added first, so the pages show the demo's stock.
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + count)
        reserved = Product.objects.filter(pk=product.pk, stock__gte=count).update(
            stock=F("stock") - count)
        assert reserved == 1
        # Order numbers from the checkout's counter, `count` at once (next_order_number).
        OrderNumberCounter.objects.get_or_create(name="order")
        OrderNumberCounter.objects.filter(name="order").update(value=F("value") + count)
        last = OrderNumberCounter.objects.get(name="order").value
        year = timezone.localdate().year
        orders = Order.objects.bulk_create(
            [
                Order(
                    number=f"{settings.ORDER_NUMBER_PREFIX}-{year}-{value:06d}",
                    public_id=uuid.uuid4(),
                    email=f"bench-{value}@example.com",
                    language="ar",
                    currency=totals.currency,
                    subtotal=totals.subtotal,
                    shipping=totals.shipping,
                    total=totals.total,
                    vat_rate=totals.vat_rate,
                    vat_amount=totals.vat_amount,
                    reserved_until=now + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
                    **ADDRESS,
                )
                for value in range(last - count + 1, last + 1)
            ],
            batch_size=500,
        )
        if any(order.pk is None for order in orders):  # a backend without RETURNING
            by_number = dict(Order.objects.filter(number__in=[o.number for o in orders])
                             .values_list("number", "pk"))
            for order in orders:
                order.pk = by_number[order.number]
        OrderLine.objects.bulk_create(
            [
                OrderLine(order=order, product=product, sku=product.sku, name_ar=names["ar"],
                          name_en=names["en"], unit_price=product.price, quantity=1,
                          line_total=quantize(product.price, totals.currency))
                for order in orders
            ],
            batch_size=500,
        )
        OrderStatusChange.objects.bulk_create(
            [OrderStatusChange(order=order, to_status=order.status,
                               reason=StatusReason.ORDER_PLACED) for order in orders],
            batch_size=500,
        )
        # store_intent's row for a PaymentIntent created by start_payment (sequence 1).
        payments = []
        for order in orders:
            intent_id = f"pi_{secrets.token_hex(12)}"
            payments.append(Payment(
                order=order,
                sequence=1,
                amount=order.total,
                currency=order.currency,
                stripe_payment_intent_id=intent_id,
                client_secret=f"{intent_id}_secret_{secrets.token_hex(12)}",
                idempotency_key=gateway.payment_intent_key(order_public_id=order.public_id,
                                                           sequence=1),
                livemode=gateway.livemode(),
            ))
        Payment.objects.bulk_create(payments, batch_size=500)
    return payments


def succeeded_event(payment: Payment, *, created: int) -> str:
    """The event Stripe sends when the card is charged: the intent succeeded with the
    order's amount (anything else would be held for review, not applied)."""
    intent = intent_payload(payment, status="succeeded",
                            latest_charge=f"ch_{secrets.token_hex(12)}")
    intent["created"] = created - 5
    intent["livemode"] = gateway.livemode()
    event = event_payload("payment_intent.succeeded", intent, created=created)
    event["livemode"] = gateway.livemode()
    return json.dumps(event, indent=2, ensure_ascii=False)


def write_events(path: Path, payments: list[Payment]) -> None:
    created = int(time.time())
    with path.open("w", encoding="utf-8") as out:
        for payment in payments:
            out.write(json.dumps(succeeded_event(payment, created=created)) + "\n")


def describe_settings() -> dict:
    """What the result table prints about the deployment."""
    page_cache = getattr(settings, "PAGE_CACHE", None)
    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "caches": {alias: cache["BACKEND"] for alias, cache in settings.CACHES.items()},
        "cache_middleware": [m for m in settings.MIDDLEWARE if "cache" in m.lower()],
        "middleware": list(settings.MIDDLEWARE),
        "machine_endpoints": list(getattr(settings, "MACHINE_ENDPOINTS", [])),
        "page_cache": page_cache if isinstance(page_cache, dict) else None,
        "debug": settings.DEBUG,
        "settings_module": os.environ["DJANGO_SETTINGS_MODULE"],
        "staticfiles_storage": settings.STORAGES["staticfiles"]["BACKEND"],
        "tasks_backend": settings.TASKS["default"]["BACKEND"],
        "ratelimit_enable": settings.RATELIMIT_ENABLE,
        "stripe_sandbox": settings.STRIPE_SANDBOX,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--warm", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    category = category_with_full_listing()
    page = product_to_order(category["url"])
    payments = place_orders(page.product, args.events + args.warm + 1)
    events_dir = args.out / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    write_events(events_dir / "fresh.jsonl", payments[: args.events])
    write_events(events_dir / "warm.jsonl", payments[args.events: args.events + args.warm])
    write_events(events_dir / "duplicate.jsonl", payments[-1:])
    prepared = {
        "category": category,
        "product": {"url": page.get_url(), "sku": page.product.sku, "title": page.title},
        "order_total": str(payments[0].amount),
        "order_ids": [payments[0].order_id, payments[-1].order_id],
        "currency": payments[0].currency,
        "events": {"fresh": args.events, "warm": args.warm, "duplicate": 1},
        "settings": describe_settings(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / "prepared.json").write_text(json.dumps(prepared, indent=2, ensure_ascii=False))
    print(f"prepared {len(payments)} unpaid orders with their PaymentIntents and events "
          f"in {prepared['seconds']} s")


if __name__ == "__main__":
    main()
