"""Page-cache invalidation seen from another process (as another gunicorn worker is): each
change shows on that process's very next request. PostgreSQL: both processes share the test
database. In its own module: it builds its own catalog, committed."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection

from apps.catalog.models import Product

BASE_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def page_cache(settings, tmp_path):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True,
                           "VERSIONS": f"file:{tmp_path / 'versions.json'}"}
    caches[settings.PAGE_CACHE["STORE"]].clear()
    yield settings.PAGE_CACHE
    caches[settings.PAGE_CACHE["STORE"]].clear()


SERVER = """
import json, sys
import django
django.setup()
from django.test import Client
for line in sys.stdin:
    response = Client(raise_request_exception=False).get(line.strip())
    print(json.dumps({"status": response.status_code,
                      "cache": response.get("X-Page-Cache", ""),
                      "body": response.content.decode()}), flush=True)
"""


class PageServer:
    """Another Django process (as another gunicorn worker is), with its own page store,
    sharing the database and the versions registry."""

    def __init__(self, versions: str, media_root: str):
        settings_dict = connection.settings_dict
        url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
               f"{settings_dict['PORT']}/{settings_dict['NAME']}")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "DATABASE_URL": url, "PAGE_CACHE_ENABLED": "1", "PAGE_CACHE_VERSIONS": versions,
               "DJANGO_MEDIA_ROOT": media_root}
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], cwd=BASE_DIR, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)

    def get(self, url: str) -> dict:
        self.process.stdin.write(url + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: the other "
                    "process must share the test database (SQLite's is in memory)")
@pytest.mark.django_db(transaction=True)
def test_every_change_shows_on_the_next_request_of_another_process(page_cache, shipping_zones,
                                                                  settings):
    from apps.cart.tests.factories import cart_with
    from apps.catalog.tests.factories import ImageFactory, build_catalog, create_category
    from apps.orders.services import Contact, place_order
    from apps.orders.tests.factories import delivery_address

    catalog = build_catalog(images=True)
    oud, bakhoor = catalog.products[0], catalog.products[1]
    server = PageServer(page_cache["VERSIONS"], str(settings.MEDIA_ROOT))
    try:
        def seen(url: str) -> str:
            """The page as the other process serves it, once from its cache."""
            first = server.get(url)
            assert first["status"] == 200, (url, first["status"])
            again = server.get(url)
            assert again["cache"] == "hit", url
            return again["body"]

        product_url, category_url, home_url = (catalog.url(oud), catalog.category_ar.url,
                                               catalog.home_ar.url)
        for url in (product_url, category_url, home_url):
            assert "399.00" in seen(url)

        # the price, edited by code (as the admin does)
        oud_row = Product.objects.get(pk=oud.pk)
        oud_row.price = Decimal("420.00")
        oud_row.save()
        for url in (product_url, category_url, home_url):
            body = server.get(url)["body"]
            assert "420.00" in body and "399.00" not in body, url

        # a sale that takes the last unit: "out of stock" at once
        bakhoor_url = catalog.url(bakhoor)
        assert "stock-badge out" not in seen(bakhoor_url)
        place_order(cart=cart_with((bakhoor, 1)), address=delivery_address(),
                    contact=Contact(email="last@example.com", language="ar"))
        assert "stock-badge out" in server.get(bakhoor_url)["body"]
        assert "stock-badge out" in server.get(category_url)["body"]

        # taken off sale
        assert "stock-badge in" in seen(product_url)
        Product.objects.filter(pk=oud.pk).update(is_active=False)  # an UPDATE: no signal…
        Product.objects.get(pk=oud.pk).save()  # …the admin saves the model, which does
        assert "stock-badge in" not in server.get(product_url)["body"]

        # a new picture
        old = seen(product_url)
        image = ImageFactory(title="new-oud")
        row = Product.objects.get(pk=oud.pk)
        row.image = image
        row.save()
        assert server.get(product_url)["body"] != old
        seen(product_url)
        image.title = "renamed"  # the picture itself changes (e.g. a new file)
        image.save()
        assert server.get(product_url)["cache"] != "hit"

        # unpublished: gone from its category, its page a 404
        page = catalog.page(bakhoor)
        assert page.title in seen(category_url)
        page.unpublish()
        assert page.title not in server.get(category_url)["body"]
        assert server.get(bakhoor_url)["status"] == 404
        page.save_revision().publish()
        assert page.title in server.get(category_url)["body"]

        # moved to another category: it leaves the first listing, joins the second
        other_ar, _other_en = create_category(catalog.home_ar, slug="gifts",
                                              title_ar="هدايا", title_en="Gifts")
        other_url = other_ar.url
        assert page.title not in seen(other_url)
        page.move(other_ar, pos="last-child")
        assert page.title in server.get(other_url)["body"]
        assert page.title not in server.get(category_url)["body"]
        assert "هدايا" in server.get(home_url)["body"]  # the new category in the menus

        # the shipping terms shown on product pages
        assert "25.00" in seen(product_url)
        zone = shipping_zones["default"]
        zone.rate = Decimal("33.00")
        zone.save()
        assert "33.00" in server.get(product_url)["body"]
    finally:
        server.close()
