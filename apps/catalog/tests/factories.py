"""Catalog test data: Product records (factory_boy), generated images and bilingual pages."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.core.files.images import ImageFile
from django.test import override_settings
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, Site

from apps.catalog.models import CategoryPage, HomePage, Product, ProductPage


def png_file(name: str = "product.png", colour=(120, 80, 40)) -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return ImageFile(buffer, name=name)


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"image-{n}")
    file = factory.LazyAttribute(lambda obj: png_file(f"{obj.title}.png"))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"GE-TST-{n:03d}")
    price = Decimal("100.00")
    stock = 10
    is_active = True
    image = None


def locales() -> tuple[Locale, Locale]:
    ar = Locale.objects.get_or_create(language_code="ar")[0]
    en = Locale.objects.get_or_create(language_code="en")[0]
    return ar, en


def publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def translate(page: Page, locale: Locale, **fields) -> Page:
    """The translation of `page` in `locale`, created as the shop's editors do it."""
    translated = page.copy_for_translation(locale).specific
    for name, value in fields.items():
        setattr(translated, name, value)
    return publish(translated)


def create_home(*, title_ar: str = "الإمبراطور الخليجي", title_en: str = "Gulf Emperor"):
    """An Arabic home page as the default site's root, plus its English translation.

    Wagtail's placeholder "Welcome" page is left alone (the site no longer points at it), so
    removing these pages restores the database as migrations left it."""
    ar, en = locales()
    root = Page.get_first_root_node()
    if root is None:  # a transactional test flushed the migration-created tree
        root = Page.add_root(instance=Page(title="Root", locale=ar))
    home_ar = root.add_child(instance=HomePage(title=title_ar, slug="gulf-emperor", locale=ar))
    publish(home_ar)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home_ar,
                  "site_name": title_en},
    )
    home_en = translate(home_ar, en, title=title_en)
    return home_ar, home_en


def create_category(home_ar: HomePage, *, slug: str, title_ar: str, title_en: str):
    _ar, en = locales()
    category_ar = home_ar.add_child(
        instance=CategoryPage(title=title_ar, slug=slug, locale=home_ar.locale, intro="")
    )
    publish(category_ar)
    category_en = translate(category_ar, en, title=title_en)
    return category_ar, category_en


def create_product_page(
    category_ar: CategoryPage,
    product: Product,
    *,
    title_ar: str,
    title_en: str | None = None,
    summary_ar: str = "",
    summary_en: str = "",
):
    """The Arabic product page for `product` and, if `title_en` is given, its English one."""
    _ar, en = locales()
    page_ar = category_ar.add_child(
        instance=ProductPage(
            title=title_ar, slug=product.sku.lower(), locale=category_ar.locale, product=product,
            summary=summary_ar, description=f"<p>{summary_ar}</p>" if summary_ar else "",
        )
    )
    publish(page_ar)
    page_en = None
    if title_en is not None:
        page_en = translate(page_ar, en, title=title_en, summary=summary_en,
                            description=f"<p>{summary_en}</p>" if summary_en else "")
    return page_ar, page_en


# --- a small bilingual catalog ------------------------------------------------------------


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

    def add_url(self, product: Product, language: str = "ar") -> str:
        """Where the product page's "Add to cart" form posts."""
        from django.urls import reverse
        from django.utils import translation

        with translation.override(language):
            return reverse("cart:add", args=[self.page(product, language).pk])


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
