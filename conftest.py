"""Fixtures every app's tests share: a small bilingual catalog, shipping zones, customers,
the HTML reader, and (through plugins) Stripe, payments and staff fixtures."""

import gc
from decimal import Decimal

import pytest

from apps.catalog.models import Product
from apps.catalog.tests.factories import Catalog, build_catalog, reload_catalog, remove_catalog
from apps.core.tests.html import Html
from apps.pricing.tests.factories import ShippingZoneFactory
from apps.users.tests.factories import PASSWORD, UserFactory

# Fixtures shared across apps: Stripe through the offline sandbox (card_holder, stripe_log,
# stripe_faults), payments (order, post_event, sign, ...), staff users (support_user, ...).
pytest_plugins = [
    "apps.core.tests.transactional",
    "apps.stripe_sandbox.testing",
    "apps.payments.tests.fixtures",
    "apps.backoffice.tests.fixtures",
]


def pytest_configure(config):
    # WhiteNoise warns that collectstatic has not run; tests serve no static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_finish(session):
    # Django, Wagtail and the test modules are loaded: spare the garbage collector from
    # rescanning those long-lived objects in every collection.
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _isolated_media(request, media_dir):
    """Uploaded images and renditions go to a throwaway folder, never to var/ (browser tests
    choose their own, which their live server serves, and their seeded catalog keeps)."""
    if "live_server" in request.fixturenames or "seeded" in request.fixturenames:
        return
    request.getfixturevalue("settings").MEDIA_ROOT = media_dir


@pytest.fixture(autouse=True)
def _forget_process_cache():
    """What a process keeps for itself (the header's and footer's links) is dropped between
    tests: a rolled-back test changes pages without the version bump a commit makes. Only
    the in-process cache: a shared Redis may hold other tests' queues."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _fresh_redis():
    """The RQ test profile (TEST_TASKS=rq, config/settings/test.py) keeps caches, sessions
    and RQ's jobs in REDIS_URL's database, which the tests own: emptied before each test, as
    the database is rolled back after it."""
    from django.conf import settings

    if getattr(settings, "TEST_TASKS", "") == "rq":
        from django_redis import get_redis_connection

        get_redis_connection("shared").flushdb()


@pytest.fixture(scope="module")
def _module_catalog(django_db_setup, django_db_blocker):
    """The demo catalog, built once per test module (publishing pages is slow) and removed
    after it; each test still runs in its own transaction, so its changes are rolled back."""
    from wagtail.models import Site

    with django_db_blocker.unblock():
        site = Site.objects.filter(is_default_site=True).first()
        site_root_id = site.root_page_id if site else None
        built = build_catalog()
    yield built
    with django_db_blocker.unblock():
        remove_catalog(built, site_root_id)


@pytest.fixture
def catalog(_module_catalog, db) -> Catalog:
    """Home, one category and three products in Arabic and English:
    oud oil (399.00, 5 in stock), bakhoor (49.50, the last unit), burner (75.00, sold out)."""
    return reload_catalog(_module_catalog)


@pytest.fixture
def pictured_catalog(db) -> Catalog:
    """The same catalog, every product with a picture (listings then show renditions)."""
    return build_catalog(images=True)


@pytest.fixture
def oud(catalog) -> Product:
    return catalog.products[0]


@pytest.fixture
def bakhoor(catalog) -> Product:
    return catalog.products[1]


@pytest.fixture
def burner(catalog) -> Product:
    return catalog.products[2]


@pytest.fixture
def shipping_zones(db):
    """Riyadh 15 (free from 200), western region 20 (free from 300), elsewhere 25 (from 400)."""
    return {
        "riyadh": ShippingZoneFactory(
            name_ar="الرياض", name_en="Riyadh", cities=["riyadh"],
            rate=Decimal("15.00"), free_above=Decimal("200.00"),
        ),
        "west": ShippingZoneFactory(
            name_ar="المنطقة الغربية", name_en="Western region",
            cities=["jeddah", "makkah", "madinah", "taif", "yanbu"],
            rate=Decimal("20.00"), free_above=Decimal("300.00"),
        ),
        "default": ShippingZoneFactory(
            name_ar="باقي مدن المملكة", name_en="Rest of the Kingdom", cities=[],
            rate=Decimal("25.00"), free_above=Decimal("400.00"), is_default=True,
        ),
    }


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(fn, ...) runs fn, then the work it queued for after commit (webhook
    deliveries, refund calls, e-mails) as a real commit would, inside the test transaction."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def customer(db):
    return UserFactory(email="noura@example.com")


@pytest.fixture
def other_customer(db):
    return UserFactory(email="fahad@example.com", first_name="فهد")


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def html() -> Html:
    return Html()
