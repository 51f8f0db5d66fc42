import json

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Prefetch
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.images import get_image_model
from wagtail.models import Page

from apps.catalog import cache
from apps.core.pagecache import is_anonymous_visit, mark_cacheable

# Rendition specs used by listing and product templates; prefetched together so a listing
# costs the same number of queries whatever its length.
LISTING_RENDITIONS = ("fill-320x320", "fill-640x640")
PRODUCT_RENDITIONS = ("max-600x600", "max-1200x1200")


class Product(models.Model):
    """The sellable record behind a product page: one per product, shared by every language
    version of its page. Price, SKU and stock live here, so changing them in one language
    changes them for all, and cart and order lines point here, never at a page."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    price = models.DecimalField(
        _("price (VAT included)"), max_digits=12, decimal_places=3,
        help_text=_("In the shop currency, VAT included."),
    )
    stock = models.PositiveIntegerField(
        _("stock available"), default=0,
        help_text=_("Units that can still be sold; orders reserve from this count."),
    )
    image = models.ForeignKey(
        get_image_model(), verbose_name=_("image"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    is_active = models.BooleanField(_("for sale"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The search index (apps/catalog/search.py): the normalised words of its live pages in
    # every language, kept up to date when a page, its category or the SKU is saved.
    search_title = models.TextField(blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    panels = [
        FieldPanel("sku"), FieldPanel("price"), FieldPanel("stock"),
        FieldPanel("image"), FieldPanel("is_active"),
    ]

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.pk and kwargs.get("update_fields") is None:
            refresh_search_index([self.pk])

    @property
    def in_stock(self) -> bool:
        return self.is_active and self.stock > 0

    def names(self) -> dict[str, str]:
        """Title of each live language version of the product's page, e.g. {"ar": …, "en": …}."""
        pages = ProductPage.objects.filter(product=self).select_related("locale")
        names = {page.locale.language_code: page.title for page in pages}
        fallback = next(iter(names.values()), self.sku)
        return {code: names.get(code, fallback) for code, _label in settings.LANGUAGES}


class CachedPageMixin:
    """A catalog page anonymous visitors get from the page cache (apps.core.pagecache),
    tagged with what it shows (apps.catalog.cache) so any change to that invalidates it."""

    cache_parameters: frozenset[str] = frozenset()

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        if is_anonymous_visit(request) and set(request.GET) <= self.cache_parameters:
            response.add_post_render_callback(
                lambda rendered: mark_cacheable(rendered, self.cache_tags(rendered.context_data))
            )
        return response

    def cache_tags(self, context) -> set[str]:
        return {cache.page_tag(self.pk), cache.NAV, cache.SHIPPING}

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Rendered for the cache: nothing personal (no CSRF token: see the cart's add view).
        context["page_cacheable"] = is_anonymous_visit(request)
        return context


class InfoPage(CachedPageMixin, Page):
    """A page of what shoppers check before trusting a new shop: shipping, returns and
    refunds, privacy, terms. Linked from every page's footer."""

    intro = models.CharField(_("intro"), max_length=250, blank=True)
    body = RichTextField(_("text"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["catalog.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("information page")


class HomePage(CachedPageMixin, Page):
    intro = models.CharField(_("intro"), max_length=250, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["catalog.CategoryPage", "catalog.InfoPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["categories"] = CategoryPage.objects.live().child_of(self)
        featured = ProductPage.objects.live().descendant_of(self).order_by("-first_published_at")
        context["featured_products"] = with_listing_data(featured)[:8]
        return context

    def cache_tags(self, context) -> set[str]:
        return super().cache_tags(context) | {cache.FEATURED} | {
            cache.product_tag(page.product_id) for page in context["featured_products"]
        }


class CategoryPage(CachedPageMixin, Page):
    intro = models.CharField(_("intro"), max_length=250, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["catalog.ProductPage"]
    parent_page_types = ["catalog.HomePage"]
    products_per_page = 12
    cache_parameters = cache.LISTING_PARAMETERS

    class Meta:
        verbose_name = _("category")

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        # Its title is searched with its products (every language's).
        if self.translation_key:
            refresh_search_index(ProductPage.objects.filter(
                path__startswith=self.path, depth=self.depth + 1).values_list(
                "product_id", flat=True))
        return result

    def cache_tags(self, context) -> set[str]:
        return super().cache_tags(context) | {cache.children_tag(self.pk)} | {
            cache.product_tag(page.product_id) for page in context["products"]
        }

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sort = request.GET.get("sort", "")
        in_stock_only = request.GET.get("stock") == "1"
        products = with_listing_data(listing(ProductPage.objects.live().child_of(self),
                                             sort=sort, in_stock_only=in_stock_only))
        paginator = Paginator(products, self.products_per_page)
        try:
            page_obj = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            page_obj = paginator.page(1)
        context["page_obj"] = page_obj
        context["products"] = page_obj.object_list
        context["sort"] = sort if sort in SORTS else ""
        context["in_stock_only"] = in_stock_only
        return context


class ProductPage(CachedPageMixin, Page):
    product = models.ForeignKey(
        Product, verbose_name=_("product record"), on_delete=models.PROTECT, related_name="pages",
        help_text=_("SKU, price and stock shared by every language version of this page."),
    )
    summary = models.CharField(_("summary"), max_length=250, blank=True)
    description = RichTextField(_("description"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("product"), FieldPanel("summary"), FieldPanel("description"),
    ]
    parent_page_types = ["catalog.CategoryPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("product page")

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        refresh_search_index([self.product_id])
        return result

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["structured_data"] = self.structured_data(request)
        return context

    def cache_tags(self, context) -> set[str]:
        return super().cache_tags(context) | {cache.product_tag(self.product_id)}

    def structured_data(self, request) -> str:
        """schema.org Product JSON-LD for search engines."""
        product = self.product
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.title,
            "sku": product.sku,
            "description": self.summary,
            "offers": {
                "@type": "Offer",
                "price": str(product.price.normalize()),
                "priceCurrency": settings.SHOP_CURRENCY,
                "availability": "https://schema.org/InStock"
                if product.in_stock
                else "https://schema.org/OutOfStock",
                # The host the page was asked on, as for the image (Wagtail's Site may
                # name another, e.g. localhost).
                "url": request.build_absolute_uri(self.get_url(request)),
            },
        }
        if product.image is not None:
            rendition = product.image.get_rendition("max-1200x1200")
            data["image"] = request.build_absolute_uri(rendition.url)
        # Escape "<" so a title can never close the <script> element.
        return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def refresh_search_index(product_ids) -> None:
    """Rebuild the search index of these products from their live pages in every language
    and their categories' titles (apps/catalog/search.py)."""
    from apps.catalog.search import index_text

    for product_id in set(product_ids):
        pages = list(ProductPage.objects.live().filter(product_id=product_id))
        parents = {page.get_parent().id for page in pages}
        categories = [category.title for category in Page.objects.filter(
            translation_key__in=Page.objects.filter(id__in=parents).values("translation_key"))]
        product = Product.objects.filter(pk=product_id).values("sku").first()
        if product is None:
            continue
        Product.objects.filter(pk=product_id).update(
            search_title=index_text([page.title for page in pages] + [product["sku"]]),
            search_text=index_text(
                [page.summary for page in pages]
                + [strip_tags(page.description) for page in pages] + categories),
        )


SORTS = {
    "price": ("product__price", "pk"),
    "-price": ("-product__price", "pk"),
    "newest": ("-first_published_at", "-pk"),
}


def listing(pages, *, sort: str = "", in_stock_only: bool = False):
    """Product pages as a shopper lists them: sorted (price up or down, newest) and,
    when asked, only those in stock."""
    if in_stock_only:
        pages = pages.filter(product__is_active=True, product__stock__gt=0)
    if sort in SORTS:
        pages = pages.order_by(*SORTS[sort])
    return pages


def with_listing_data(pages):
    """Product pages with their product and prefetched image renditions."""
    images = get_image_model().objects.prefetch_renditions(*LISTING_RENDITIONS)
    return pages.select_related("product").prefetch_related(Prefetch("product__image", queryset=images))
