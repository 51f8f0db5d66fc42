"""What each catalog page shows, as page-cache tags, and what invalidates them.

A page is stale the moment something it shows changes (apps.core.pagecache):

| tag            | shown on                           | bumped when                                  |
| -------------- | ---------------------------------- | -------------------------------------------- |
| `page:<id>`    | that page                          | it is published, unpublished, moved, deleted |
| `children:<id>`| a category's listing               | a child is published, unpublished, moved in  |
|                |                                    | or out, deleted                              |
| `product:<id>` | every page showing the product     | its price, stock, image, for-sale flag or    |
|                |                                    | picture changes (admin or code), its stock   |
|                |                                    | reaches 0 or comes back (`stock_moved`)      |
| `featured`     | the home page's newest products    | any product page is published or unpublished |
| `nav`          | the header's categories            | a category or home page changes              |
| `shipping`     | prices notes on every page         | a shipping zone changes (apps.pricing)       |

The page and model changes come from Django's and Wagtail's signals (infrastructure, like
Wagtail's own search index: they fire for the admin and for code alike); stock changed by
an UPDATE in the order services is reported by them explicitly (`stock_moved`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.images import get_image_model
from wagtail.signals import page_published, page_unpublished, post_page_move

from apps.core.pagecache import bump

NAV = "nav"
FEATURED = "featured"
SHIPPING = "shipping"
# Query parameters a cached listing may carry (anything else is rendered, never stored).
LISTING_PARAMETERS = frozenset({"page", "sort", "stock"})


def page_tag(page_id: int) -> str:
    return f"page:{page_id}"


def children_tag(page_id: int) -> str:
    return f"children:{page_id}"


def product_tag(product_id: int) -> str:
    return f"product:{product_id}"


def products_changed(product_ids: Iterable[int]) -> None:
    bump(product_tag(product_id) for product_id in product_ids)


def stock_moved(moves: Mapping[int, int]) -> None:
    """Stock changed by an UPDATE (`{product_id: units added (negative: taken)}`, already
    applied in this transaction): only a product that ran out or came back changes what
    pages show ("out of stock"), so only those are invalidated."""
    from apps.catalog.models import Product

    if not moves:
        return
    now = dict(Product.objects.filter(pk__in=list(moves)).values_list("pk", "stock"))
    flipped = [pid for pid, delta in moves.items() if pid in now and (
        (delta < 0 and now[pid] == 0) or (delta > 0 and now[pid] - delta <= 0 < now[pid])
    )]
    products_changed(flipped)


# --- signals: pages and models changed in the admin or by code --------------------------


def _page_changed(instance, parent_ids: Iterable[int] = ()) -> None:
    from apps.catalog.models import CategoryPage, HomePage, InfoPage, ProductPage

    page = instance.specific if hasattr(instance, "specific") else instance
    tags = {page_tag(page.pk), *(children_tag(pk) for pk in parent_ids if pk)}
    parent = page.get_parent() if page.depth and page.depth > 1 else None
    if parent is not None:
        tags.add(children_tag(parent.pk))
    if isinstance(page, CategoryPage | HomePage | InfoPage):
        tags.add(NAV)  # the header's categories and the footer's information pages
    if isinstance(page, ProductPage):
        tags.update({FEATURED, product_tag(page.product_id)})
    bump(tags)


def _on_publish(sender, instance, **kwargs) -> None:
    _page_changed(instance)


def _on_move(sender, instance, parent_page_before=None, parent_page_after=None, **kwargs):
    _page_changed(instance, [getattr(parent_page_before, "pk", None),
                             getattr(parent_page_after, "pk", None)])


def _on_page_delete(sender, instance, **kwargs) -> None:
    _page_changed(instance)


def _on_product_saved(sender, instance, **kwargs) -> None:
    products_changed([instance.pk])


def _on_image_saved(sender, instance, **kwargs) -> None:
    from apps.catalog.models import Product

    products_changed(Product.objects.filter(image=instance).values_list("pk", flat=True))


def connect() -> None:
    """Called once by CatalogConfig.ready()."""
    from apps.catalog.models import CategoryPage, HomePage, InfoPage, Product, ProductPage

    page_published.connect(_on_publish, dispatch_uid="catalog.cache.published")
    page_unpublished.connect(_on_publish, dispatch_uid="catalog.cache.unpublished")
    post_page_move.connect(_on_move, dispatch_uid="catalog.cache.moved")
    for model in (HomePage, CategoryPage, ProductPage, InfoPage):
        pre_delete.connect(_on_page_delete, sender=model,
                           dispatch_uid=f"catalog.cache.deleted.{model.__name__}")
    post_save.connect(_on_product_saved, sender=Product, dispatch_uid="catalog.cache.product")
    post_delete.connect(_on_product_saved, sender=Product,
                        dispatch_uid="catalog.cache.product-deleted")
    post_save.connect(_on_image_saved, sender=get_image_model(),
                      dispatch_uid="catalog.cache.image")
