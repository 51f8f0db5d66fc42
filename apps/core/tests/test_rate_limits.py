"""Abuse limits: over the limit, a translated 429 page; the count is shared by every process
of the shop (the "shared" cache: the database by default, Redis with REDIS_URL)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.SHOP_RATE_LIMITS = {**settings.SHOP_RATE_LIMITS, "checkout": "3/m",
                                 "add_to_cart": "3/m", "sign_in": "3/m",
                                 "order_link": "3/m"}
    return settings.SHOP_RATE_LIMITS


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "data"), [
    ("post", "/ar/checkout/", {}),
    ("post", "/ar/accounts/login/", {"login": "a@example.com", "password": "wrong"}),
    ("get", "/ar/orders/track/not-a-token/", None),
])
def test_over_the_limit_is_429_in_arabic(client, limits, html, method, url, data):
    answers = [getattr(client, method)(url, data) for _ in range(4)]

    assert [answer.status_code for answer in answers[:3]] != [429] * 3
    refused = answers[3]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    page = html.soup(refused)
    assert page.html["lang"] == "ar" and page.html["dir"] == "rtl"
    assert html.is_arabic(page.h1.get_text()), page.h1.get_text()


@pytest.mark.django_db
def test_over_the_limit_in_english_on_en(client, limits, html):
    for _ in range(4):
        refused = client.post("/en/checkout/")
    assert refused.status_code == 429
    assert "Too many attempts" in html.soup(refused).h1.get_text()


@pytest.mark.django_db
def test_adding_to_the_cart_is_limited(client, limits, catalog):
    url = catalog.add_url(catalog.products[0])
    codes = [client.post(url, {"quantity": "1"}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]


# Two separate Python processes (as two gunicorn workers are) post the checkout form from
# the same address; the limit counts their requests together.
WORKER = """
import django, json, os
django.setup()
from django.test import Client
codes = [Client().post("/ar/checkout/").status_code for _ in range(6)]
print(json.dumps(codes))
"""


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: the processes "
                    "must share the test database (SQLite's is in memory)")
@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_across_two_processes():
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
           f"/{settings_dict['NAME']}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url,
           # An hour's window: a minute's could roll over between the two processes.
           "RATELIMIT_ENABLE": "1", "RATE_LIMIT_CHECKOUT": "5/h"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=BASE_DIR, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    codes = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        codes += json.loads(out.strip().splitlines()[-1])
    # 12 requests in all, 5 allowed in the window whichever process served them.
    assert sorted(codes).count(429) == 7, codes
    assert len([code for code in codes if code != 429]) == 5
