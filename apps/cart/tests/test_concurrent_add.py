"""A double-clicked "Add to cart" (two POSTs of the same session at once) never answers 500,
and both units are in the cart. Real threads on PostgreSQL; SQLite serialises writers."""

import pytest
from django.db import connection
from django.test import Client

from apps.cart.models import CartLine
from apps.catalog.models import Product
from apps.catalog.tests.factories import ProductFactory, build_catalog, create_product_page
from apps.core.tests.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: DATABASE_URL=postgres://… pytest -m postgres"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_twenty_double_clicks_add_both_units_and_never_fail(client):
    catalog = build_catalog()
    first = catalog.products[0]
    Product.objects.filter(pk=first.pk).update(stock=100)
    client.post(catalog.add_url(first), {"quantity": "1"})  # the session has its cart
    for round_ in range(20):
        # A new product each round: both clicks race to create its cart line.
        product = ProductFactory(sku=f"GE-DBL-{round_:03d}", stock=50)
        page, _english = create_product_page(catalog.category_ar, product,
                                             title_ar=f"منتج {round_}", title_en=None)
        url = f"/ar/cart/add/{page.pk}/"
        shoppers = [Client(), Client()]
        for shopper in shoppers:
            shopper.cookies = client.cookies  # the same browser session

        answers = run_together(2, lambda i, shoppers=shoppers, url=url: shoppers[i].post(
            url, {"quantity": "1"}))

        assert [answer.status_code for answer in answers] == [302, 302], answers
        assert CartLine.objects.get(product=product).quantity == 2
