"""Shared fixtures: a small bilingual catalog, shipping zones and customers."""

import gc
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

import pytest
from django.test import override_settings

from apps.catalog.models import CategoryPage, HomePage, Product, ProductPage
from apps.catalog.tests.factories import (
    ImageFactory,
    ProductFactory,
    create_category,
    create_home,
    create_product_page,
)
from apps.orders.tests.factories import ShippingZoneFactory
from apps.users.tests.factories import PASSWORD, UserFactory


def pytest_collection_finish(session):
    # Django, Wagtail and the test modules are loaded: spare the garbage collector from
    # rescanning those long-lived objects in every collection.
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(session, config, items):
    # Every transactional test (PostgreSQL concurrency, live server) restores the rows
    # migrations created, not only those marked serialized_rollback: mixing the two kinds
    # leaves post_migrate rows behind that the next serialized test cannot load over.
    for item in items:
        if _is_transactional(item) and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")


def pytest_configure(config):
    # WhiteNoise warns that collectstatic has not run; tests serve no static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


# Rows migrations created (Wagtail's root page, the default locale and site…), as serialized by
# pytest-django for tests with serialized_rollback=True.
_MIGRATED_DATA: dict[str, str] = {}


def _is_transactional(node) -> bool:
    """`node`: a test item, or a fixture request (its `node` is the item)."""
    node = getattr(node, "node", node)
    marker = node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(node.fixturenames))


@pytest.fixture(autouse=True)
def _migrated_data_for_transactional_tests(request):
    """A transactional test empties the database when it ends. Django puts the migration
    rows back for the next test only if that test runs where the first connection lives (not
    inside Playwright's event loop, for instance); so do it here, for every such test."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command
    from django.db import connection
    from wagtail.models import Page

    serialized = getattr(connection, "_test_serialized_contents", None)
    if serialized and "default" not in _MIGRATED_DATA:
        # Content types first: saving other rows may look one up, and a miss would insert it
        # under a new id, clashing with the serialized row saved later.
        rows = json.loads(serialized)
        rows.sort(key=lambda row: row["model"] != "contenttypes.contenttype")
        _MIGRATED_DATA["default"] = json.dumps(rows)
    if "default" in _MIGRATED_DATA and not Page.objects.filter(depth=1).exists():
        from django.contrib.contenttypes.models import ContentType

        call_command("flush", interactive=False, verbosity=0, reset_sequences=False,
                     inhibit_post_migrate=True)
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(_MIGRATED_DATA["default"])


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _isolated_media(request, media_dir):
    """Uploaded images and renditions go to a throwaway folder, never to var/ (browser tests
    choose their own, which their live server serves)."""
    if "live_server" in request.fixturenames:
        return
    request.getfixturevalue("settings").MEDIA_ROOT = media_dir


@dataclass
class Catalog:
    home_ar: HomePage
    home_en: HomePage
    category_ar: CategoryPage
    category_en: CategoryPage
    products: list[Product] = field(default_factory=list)
    pages_ar: dict[str, ProductPage] = field(default_factory=dict)
    pages_en: dict[str, ProductPage] = field(default_factory=dict)

    def page(self, product: Product, language: str = "ar") -> ProductPage:
        return (self.pages_ar if language == "ar" else self.pages_en)[product.sku]

    def url(self, product: Product, language: str = "ar") -> str:
        return self.page(product, language).get_url()


# sku, price, stock, Arabic title, English title
DEMO_PRODUCTS = [
    ("GE-OUD-001", "399.00", 5, "دهن عود كمبودي", "Cambodian oud oil"),
    ("GE-OUD-002", "49.50", 1, "بخور معطر ملكي", "Royal scented bakhoor"),
    ("GE-OUD-005", "75.00", 0, "مبخرة نحاسية", "Brass incense burner"),
]


# Publishing queues Wagtail's admin search and reference index updates; the storefront reads
# neither, so while test pages are built those tasks are only queued, not run (twice as fast).
QUEUE_ONLY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def build_catalog(
    products=DEMO_PRODUCTS, *, images: bool = False, translate: bool = True
) -> Catalog:
    with override_settings(TASKS=QUEUE_ONLY_TASKS):
        return _build_catalog(products, images=images, translate=translate)


def _build_catalog(products, *, images: bool, translate: bool) -> Catalog:
    home_ar, home_en = create_home()
    category_ar, category_en = create_category(
        home_ar, slug="perfumes", title_ar="العطور والعود", title_en="Perfume & Oud"
    )
    catalog = Catalog(home_ar, home_en, category_ar, category_en)
    for sku, price, stock, title_ar, title_en in products:
        product = ProductFactory(
            sku=sku, price=Decimal(price), stock=stock,
            image=ImageFactory(title=sku.lower()) if images else None,
        )
        page_ar, page_en = create_product_page(
            category_ar, product, title_ar=title_ar, title_en=title_en if translate else None,
            summary_ar=f"وصف {title_ar}", summary_en=f"About {title_en}",
        )
        catalog.products.append(product)
        catalog.pages_ar[sku] = page_ar
        if page_en is not None:
            catalog.pages_en[sku] = page_en
    return catalog


def reload_catalog(built: Catalog) -> Catalog:
    """Fresh instances of a catalog's pages and products, as stored in the database."""

    def fresh(page):
        return page.__class__.objects.get(pk=page.pk)

    return Catalog(
        home_ar=fresh(built.home_ar), home_en=fresh(built.home_en),
        category_ar=fresh(built.category_ar), category_en=fresh(built.category_en),
        products=list(Product.objects.filter(pk__in=[p.pk for p in built.products]).order_by("pk")),
        pages_ar={sku: fresh(page) for sku, page in built.pages_ar.items()},
        pages_en={sku: fresh(page) for sku, page in built.pages_en.items()},
    )


def remove_catalog(built: Catalog, site_root_id: int | None) -> None:
    from wagtail.images import get_image_model
    from wagtail.models import Page, Site

    image_ids = [product.image_id for product in built.products if product.image_id]
    Page.objects.filter(pk__in=[built.home_ar.pk, built.home_en.pk]).delete()  # with children
    Product.objects.filter(pk__in=[product.pk for product in built.products]).delete()
    get_image_model().objects.filter(pk__in=image_ids).delete()
    if site_root_id is not None:
        Site.objects.filter(is_default_site=True).update(root_page_id=site_root_id)
        Site.clear_site_root_paths_cache()


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


class Html:
    """Reads a rendered page the way a shopper does: alerts, form values, links."""

    @staticmethod
    def is_arabic(text: str) -> bool:
        """Written in Arabic: Arabic letters and no Latin word (a number mask such as
        05XXXXXXXX is not a word)."""
        text = re.sub(r"\b[0-9]+X+\b", "", text)
        return bool(re.search(r"[\u0621-\u064a]", text)) and not re.search(r"[A-Za-z]{2,}", text)

    @staticmethod
    def content(response) -> str:
        return response.content.decode()

    def alerts(self, response) -> list[str]:
        """Texts of the error messages (role="alert") on the page."""
        parser = _AlertParser()
        parser.feed(self.content(response))
        return [" ".join(text.split()) for text in parser.alerts]

    def field_errors(self, response, name: str) -> list[str]:
        """Error messages shown beside the form field `name` (in its `.field` box)."""
        for box in re.split(r'(?=<div class="field[ "])', self.content(response)):
            if f'id="id_{name}"' in box:
                return [" ".join(unescape(re.sub(r"<[^>]+>", " ", error)).split())
                        for error in re.findall(r'<p class="error"[^>]*>(.*?)</p>', box, re.S)]
        raise AssertionError(f"no field {name} on the page")

    def input_value(self, response, name: str) -> str | None:
        for attrs in _inputs(self.content(response)):
            if attrs.get("name") == name:
                return attrs.get("value", "")
        return None

    def texts(self, response, css_class: str) -> list[str]:
        """Texts of the elements with `css_class`, e.g. the product titles of a listing."""
        parser = _ClassTextParser(css_class)
        parser.feed(self.content(response))
        return [" ".join(text.split()) for text in parser.texts]

    def links(self, response, css_class: str) -> list[str]:
        parser = _LinkParser(css_class)
        parser.feed(self.content(response))
        return parser.hrefs


class _AlertParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alerts: list[str] = []
        self._depth = 0  # nesting inside the current alert element

    def handle_starttag(self, tag, attrs):
        if self._depth:
            if tag not in VOID_ELEMENTS:
                self._depth += 1
        elif dict(attrs).get("role") == "alert":
            self._depth = 1
            self.alerts.append("")

    def handle_startendtag(self, tag, attrs):
        pass  # <br/>, <input …/>: no text, no nesting

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.alerts[-1] += data + " "


class _ClassTextParser(_AlertParser):
    def __init__(self, css_class: str):
        super().__init__()
        self.css_class = css_class

    def handle_starttag(self, tag, attrs):
        if self._depth:
            if tag not in VOID_ELEMENTS:
                self._depth += 1
        elif self.css_class in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.alerts.append("")

    @property
    def texts(self) -> list[str]:
        return self.alerts


class _LinkParser(HTMLParser):
    def __init__(self, css_class: str):
        super().__init__()
        self.css_class = css_class
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and self.css_class in (attrs.get("class") or "").split():
            self.hrefs.append(attrs.get("href", ""))


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}


def _inputs(html: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "input":
                found.append({key: value or "" for key, value in attrs})

    Parser().feed(html)
    return found


@pytest.fixture
def html() -> Html:
    return Html()
