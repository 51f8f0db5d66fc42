"""Catalog test data: Product records (factory_boy), generated images and bilingual pages."""

import io
from decimal import Decimal

import factory
from django.core.files.images import ImageFile
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
